package boot

import (
	"errors"
	"strings"

	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// Report is what `statekit config` prints: every setting with its effective value and source, the scopes
// API keys may hold, and what is wrong with the configuration.
type Report struct {
	Values []contract.Value
	Scopes []ports.ScopeInfo
	// Err is every bad value, or nil.
	Err error
}

// errListed stops the graph once the settings are read: Settings builds nothing else.
var errListed = errors.New("settings listed")

// Settings reads the settings of the core, the built-in modules and extra under env, as Options would, but
// builds nothing else: no Redis client, no server. Secrets are masked in the values.
func Settings(env func(string) string, extra ...fx.Option) Report {
	_, r := readSettings(env, extra...)
	return r
}

// readSettings is Settings, with the parsed sections (nil when a row is malformed or declared twice).
func readSettings(env func(string) string, extra ...fx.Option) (*contract.Loaded, Report) {
	var (
		r      Report
		loaded *contract.Loaded
	)
	app := fx.New(
		fx.NopLogger,
		fx.Module("settings", fx.Invoke(fx.Annotate(func(sections []*contract.Section, scopes [][]ports.ScopeInfo) error {
			loaded, r.Err = load(env, sections, scopes)
			if loaded != nil {
				r.Values = loaded.Values()
			}
			r.Scopes = Scopes(scopes)
			return errListed
		}, settingsParams))),
		contract.Settings("statekit", coreSettings, parseCore),
		fx.Options(Modules...),
		fx.Options(extra...),
	)
	if err := app.Err(); err != nil && !errors.Is(err, errListed) {
		r.Err = errors.Join(r.Err, err)
	}
	return loaded, r
}

// ConfigTable is the configuration table of the README: one Markdown row per setting.
func ConfigTable(values []contract.Value) string {
	var b strings.Builder
	b.WriteString("| Variable | Default | Meaning |\n| --- | --- | --- |\n")
	for _, v := range values {
		def := v.Default
		if !strings.HasPrefix(def, "(") {
			def = "`" + def + "`"
		}
		b.WriteString("| `" + v.Name + "` | " + def + " | " + v.Meaning + " |\n")
	}
	return b.String()
}
