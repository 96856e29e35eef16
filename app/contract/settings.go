package contract

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.uber.org/fx"

	"github.com/statekit/statekit/ports"
)

// Setting is one environment variable: its name, its default as the configuration table shows it (a
// default in parentheses, such as "(none)", describes an empty value), what it means (Markdown: the
// README's configuration table and `statekit config` show it), and whether its value is secret (API keys,
// URLs that may carry passwords), which `statekit config` masks.
type Setting struct {
	Name, Default, Meaning string
	Secret                 bool
}

func (s Setting) defaultValue() string {
	if strings.HasPrefix(s.Default, "(") {
		return ""
	}
	return s.Default
}

var settingName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// Section is a module's settings: its rows and the parser that turns them into the module's
// configuration. Build one with NewSection.
type Section struct {
	Module   string
	Settings []Setting
	parse    func(*Env) any
}

// NewSection is the settings of module: rows, parsed by parse into a T. parse reads only through the Env,
// which records bad values; it may also call Env.Check with its Config's Validate.
func NewSection[T any](module string, rows []Setting, parse func(*Env) T) *Section {
	return &Section{Module: module, Settings: rows, parse: func(e *Env) any { return parse(e) }}
}

// Settings contributes a section of settings (to ports.GroupSettings) and provides the parsed T to the
// graph. T must be a type of the module's own (its Config), so two modules never provide the same one.
func Settings[T any](module string, rows []Setting, parse func(*Env) T) fx.Option {
	sec := NewSection(module, rows, parse)
	return fx.Options(
		Supply(ports.GroupSettings, sec),
		fx.Provide(func(l *Loaded) T { return Get[T](l, sec) }),
	)
}

// Loaded is every section parsed from one environment.
type Loaded struct {
	sections []*Section
	values   map[*Section]any
	lookup   func(string) string
}

// Load parses every section through lookup (os.Getenv in main). It returns every bad value at once,
// each naming its variable, with the result (so the values can still be listed); it returns no result
// when two sections declare one variable or a row is malformed.
func Load(lookup func(string) string, sections []*Section) (*Loaded, error) {
	rows := map[string]Setting{}
	owner := map[string]string{}
	var errs []error
	for _, s := range sections {
		for _, r := range s.Settings {
			switch {
			case !settingName.MatchString(r.Name):
				errs = append(errs, fmt.Errorf("module %s: setting name %q: want upper-case letters, digits and _", s.Module, r.Name))
			case owner[r.Name] != "":
				errs = append(errs, fmt.Errorf("%s: declared by modules %s and %s", r.Name, owner[r.Name], s.Module))
			case r.Meaning == "":
				errs = append(errs, fmt.Errorf("module %s: setting %s has no meaning", s.Module, r.Name))
			}
			rows[r.Name], owner[r.Name] = r, s.Module
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l := &Loaded{sections: sections, values: map[*Section]any{}, lookup: lookup}
	for _, s := range sections {
		env := &Env{lookup: lookup, rows: rows}
		l.values[s] = s.parse(env)
		errs = append(errs, env.errs...)
	}
	return l, errors.Join(errs...)
}

// Get returns what section's parser returned.
func Get[T any](l *Loaded, section *Section) T {
	v, _ := l.values[section].(T)
	return v
}

// Value is a setting's effective value and where it came from.
type Value struct {
	Setting
	Module string
	// Value is the effective value, masked when the setting is secret ("" for an empty value).
	Value string
	// FromEnv is true when the environment set it, false when it is the default.
	FromEnv bool
}

// Values lists every setting of every section, in order, with its effective value.
func (l *Loaded) Values() []Value {
	var out []Value
	for _, s := range l.sections {
		for _, r := range s.Settings {
			v := Value{Setting: r, Module: s.Module, Value: r.defaultValue()}
			if set := strings.TrimSpace(l.lookup(r.Name)); set != "" {
				v.Value, v.FromEnv = set, true
			}
			if r.Secret {
				v.Value = Mask(v.Value)
			}
			out = append(out, v)
		}
	}
	return out
}

// Find returns the value of the first section whose parser returned a T, for callers that know the type
// but not the section (tests, `statekit config`).
func Find[T any](l *Loaded) (T, bool) {
	if l == nil {
		var zero T
		return zero, false
	}
	for _, s := range l.sections {
		if v, ok := l.values[s].(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}
