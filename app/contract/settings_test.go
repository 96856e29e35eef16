package contract_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// demo is a module configuration the tests parse.
type demo struct {
	Wait    time.Duration
	Grace   time.Duration
	Size    int64
	Keep    int64
	Ratio   float64
	On      bool
	Hosts   []string
	Name    string
	Comment string
}

var demoRows = []contract.Setting{
	{Name: "DEMO_WAIT", Default: "30s", Meaning: "wait"},
	{Name: "DEMO_GRACE", Default: "0s", Meaning: "grace"},
	{Name: "DEMO_SIZE", Default: "10", Meaning: "size"},
	{Name: "DEMO_KEEP", Default: "0", Meaning: "keep"},
	{Name: "DEMO_RATIO", Default: "0.5", Meaning: "ratio"},
	{Name: "DEMO_ON", Default: "true", Meaning: "on"},
	{Name: "DEMO_HOSTS", Default: "(none)", Meaning: "hosts", Secret: true},
	{Name: "DEMO_NAME", Default: "demo", Meaning: "name"},
}

func parseDemo(e *contract.Env) demo {
	return demo{Wait: e.Duration("DEMO_WAIT"), Grace: e.DurationOrZero("DEMO_GRACE"), Size: e.Int("DEMO_SIZE"),
		Keep: e.IntOrZero("DEMO_KEEP"), Ratio: e.Float("DEMO_RATIO"), On: e.Bool("DEMO_ON"),
		Hosts: e.List("DEMO_HOSTS"), Name: e.String("DEMO_NAME")}
}

func lookup(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaultsAndValues(t *testing.T) {
	sec := contract.NewSection("demo", demoRows, parseDemo)
	l, err := contract.Load(lookup(nil), []*contract.Section{sec})
	if err != nil {
		t.Fatal(err)
	}
	got := contract.Get[demo](l, sec)
	if got.Wait != 30*time.Second || got.Grace != 0 || got.Size != 10 || got.Keep != 0 || got.Ratio != 0.5 || !got.On ||
		got.Hosts != nil || got.Name != "demo" {
		t.Errorf("defaults = %+v", got)
	}
	l, err = contract.Load(lookup(map[string]string{"DEMO_WAIT": "1m", "DEMO_HOSTS": " redis://u:pw@a:1 , ,redis://b:2", "DEMO_ON": "false"}),
		[]*contract.Section{sec})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := contract.Find[demo](l); !ok || got.Wait != time.Minute || got.On || strings.Join(got.Hosts, " ") != "redis://u:pw@a:1 redis://b:2" {
		t.Errorf("values = %+v (found %v)", got, ok)
	}
	vals := l.Values()
	if len(vals) != len(demoRows) {
		t.Fatalf("%d values, want %d", len(vals), len(demoRows))
	}
	for _, v := range vals {
		switch v.Name {
		case "DEMO_WAIT":
			if v.Value != "1m" || !v.FromEnv {
				t.Errorf("DEMO_WAIT = %+v, want 1m from the environment", v)
			}
		case "DEMO_SIZE":
			if v.Value != "10" || v.FromEnv {
				t.Errorf("DEMO_SIZE = %+v, want the default 10", v)
			}
		case "DEMO_HOSTS":
			if strings.Contains(v.Value, "pw") || !strings.Contains(v.Value, "u:****@a:1") {
				t.Errorf("DEMO_HOSTS = %q, want the password masked", v.Value)
			}
		}
	}
}

// TestLoadReportsEveryBadValue: one start-up names every bad variable, not just the first.
func TestLoadReportsEveryBadValue(t *testing.T) {
	bad := map[string]string{"DEMO_WAIT": "0s", "DEMO_GRACE": "-1s", "DEMO_SIZE": "0", "DEMO_KEEP": "-1",
		"DEMO_RATIO": "half", "DEMO_ON": "maybe"}
	l, err := contract.Load(lookup(bad), []*contract.Section{contract.NewSection("demo", demoRows, parseDemo)})
	if err == nil || l == nil {
		t.Fatalf("Load = %v, %v; want the result and an error", l, err)
	}
	for name, value := range bad {
		if !strings.Contains(err.Error(), name+`: "`+value+`"`) {
			t.Errorf("error does not name %s=%q:\n%v", name, value, err)
		}
	}
}

func TestLoadRefusesBadRows(t *testing.T) {
	a := contract.NewSection("a", []contract.Setting{{Name: "X_ONE", Default: "1", Meaning: "one"}}, func(*contract.Env) int { return 0 })
	b := contract.NewSection("b", []contract.Setting{{Name: "X_ONE", Default: "1", Meaning: "one"}}, func(*contract.Env) string { return "" })
	if _, err := contract.Load(lookup(nil), []*contract.Section{a, b}); err == nil || !strings.Contains(err.Error(), "declared by modules a and b") {
		t.Errorf("two sections declaring X_ONE: %v", err)
	}
	c := contract.NewSection("c", []contract.Setting{{Name: "lower", Meaning: "x"}, {Name: "X_TWO"}}, func(*contract.Env) int { return 0 })
	if _, err := contract.Load(lookup(nil), []*contract.Section{c}); err == nil || !strings.Contains(err.Error(), "lower") ||
		!strings.Contains(err.Error(), "X_TWO has no meaning") {
		t.Errorf("malformed rows: %v", err)
	}
	d := contract.NewSection("d", nil, func(e *contract.Env) string { return e.String("X_UNDECLARED") })
	if _, err := contract.Load(lookup(nil), []*contract.Section{d}); err == nil || !strings.Contains(err.Error(), "X_UNDECLARED") {
		t.Errorf("reading an undeclared variable: %v", err)
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"redis://u:secret@h:1/0":      "redis://u:****@h:1/0",
		"redis+cluster://:pw@a:1,b:2": "redis+cluster://:****@a:1,b:2",
		"redis://h:1":                 "redis://h:1",
		"ops:0123456789abcdef01234567:admin,shop:x:sessions+jobs": "ops:****:admin,shop:****:sessions+jobs",
		"plain": "****",
	} {
		if got := contract.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSettingsProvidesTheParsedConfig: a module's Settings puts its section in the settings group and its
// parsed configuration in the graph.
func TestSettingsProvidesTheParsedConfig(t *testing.T) {
	var got demo
	app := fx.New(fx.NopLogger,
		contract.Settings("demo", demoRows, parseDemo),
		fx.Provide(fx.Annotate(func(sections []*contract.Section) (*contract.Loaded, error) {
			return contract.Load(lookup(map[string]string{"DEMO_SIZE": "7"}), sections)
		}, fx.ParamTags(`group:"`+ports.GroupSettings+`"`))),
		fx.Populate(&got))
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	if got.Size != 7 || got.Wait != 30*time.Second {
		t.Errorf("parsed = %+v", got)
	}
}
