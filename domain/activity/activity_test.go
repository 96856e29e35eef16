package activity

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNewActivityValidate(t *testing.T) {
	good := NewActivity{ID: "evt-1", UserID: "alice@example.com", Action: "product.view", Object: "product/sku-1",
		Properties: map[string]string{"ref": "search"}, SessionID: "Ab_-9"}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	props := map[string]string{}
	for i := range MaxProperties + 1 {
		props[strings.Repeat("p", i+1)] = "v"
	}
	bad := map[string]func(*NewActivity){
		"no user":                func(a *NewActivity) { a.UserID = "" },
		"user with colon":        func(a *NewActivity) { a.UserID = "a:b" },
		"user with braces":       func(a *NewActivity) { a.UserID = "{a}" },
		"user with star":         func(a *NewActivity) { a.UserID = "a*" },
		"no action":              func(a *NewActivity) { a.Action = "" },
		"upper-case action":      func(a *NewActivity) { a.Action = "Page.View" },
		"action with colon":      func(a *NewActivity) { a.Action = "page:view" },
		"id with brace":          func(a *NewActivity) { a.ID = "x}" },
		"session with star":      func(a *NewActivity) { a.SessionID = "s*" },
		"object too long":        func(a *NewActivity) { a.Object = strings.Repeat("o", MaxObjectLen+1) },
		"object with newline":    func(a *NewActivity) { a.Object = "a\nb" },
		"too many properties":    func(a *NewActivity) { a.Properties = props },
		"property name colon":    func(a *NewActivity) { a.Properties = map[string]string{"a:b": "x"} },
		"property value too big": func(a *NewActivity) { a.Properties = map[string]string{"a": strings.Repeat("v", MaxPropValueLen+1)} },
	}
	for name, mutate := range bad {
		a := good
		mutate(&a)
		if err := a.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", name, err)
		}
	}
	for _, c := range []string{"x", "1-", "-1", "1-2-3", "1:2", "*"} {
		if err := ValidateCursor(c); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateCursor(%q) = %v", c, err)
		}
	}
	if err := ValidateCursor("1700000000000-3"); err != nil {
		t.Error(err)
	}
	for _, l := range []int{-1, MaxPageSize + 1} {
		if _, err := ValidateLimit(l); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateLimit(%d) = %v", l, err)
		}
	}
	if n, err := ValidateLimit(0); n != DefaultPageSize || err != nil {
		t.Errorf("ValidateLimit(0) = %d, %v", n, err)
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("DefaultPolicy: %v", err)
	}
	p := DefaultPolicy()
	p.FeedMaxLen, p.Retention = 0, time.Second
	p.Detectors = append(p.Detectors, FailedLogins(1, time.Hour), Detector{Name: "Bad Name", Action: "x", Limit: 3, Window: time.Minute})
	err := p.Validate()
	for _, want := range []string{"lengths", "retention", "limit 1", "two detectors", "Bad Name"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to mention %q", err, want)
		}
	}
	if d := DefaultPolicy().DetectorFor(ActionLoginFailed); d == nil || d.Name != "failed_logins" {
		t.Errorf("DetectorFor(login.failed) = %+v", d)
	}
	if d := DefaultPolicy().DetectorFor("page.view"); d != nil {
		t.Errorf("DetectorFor(page.view) = %+v", d)
	}
}

var t0 = time.Date(2031, 3, 4, 0, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestFunnel(t *testing.T) {
	f := Funnel{Steps: []string{"view", "cart", "buy"}, Within: 30 * time.Minute, From: at(0), To: at(120)}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	type ev struct {
		user   string
		action string
		min    int
	}
	events := []ev{
		{"ann", "view", 1}, {"ann", "cart", 5}, {"ann", "buy", 10}, // converts
		{"bob", "view", 2}, {"bob", "buy", 3}, {"bob", "cart", 4}, // buy before cart: reaches cart only
		{"cat", "view", 3}, {"cat", "cart", 50}, // cart too late for that view
		{"cat", "view", 60}, {"cat", "cart", 70}, {"cat", "buy", 89}, // a later attempt converts
		{"dan", "cart", 5}, {"dan", "buy", 6}, // never viewed: not in the funnel
		{"eve", "view", -5}, {"eve", "cart", 1}, // viewed before the range
		{"fay", "view", 119}, {"fay", "cart", 125}, {"fay", "buy", 148}, // entered in range, finished after it
		{"gus", "view", 120}, {"gus", "cart", 121}, // entered at to: excluded
		{"hal", "view", 10}, {"hal", "view", 20}, {"hal", "cart", 45}, {"hal", "buy", 50}, // the later view still in time
	}
	c := NewFunnelCounter(f)
	for _, e := range events {
		c.Add(Activity{UserID: e.user, Action: e.action, At: at(e.min)})
	}
	r := c.Result()
	// entered: ann bob cat fay hal = 5; cart: ann bob cat fay hal = 5; buy: ann cat fay hal = 4
	if want := []int64{5, 5, 4}; !reflect.DeepEqual(r.Users, want) {
		t.Errorf("funnel users = %v, want %v", r.Users, want)
	}

	// One activity never counts for two steps of the same action.
	same := Funnel{Steps: []string{"tap", "tap"}, Within: time.Hour, From: at(0), To: at(60)}
	c = NewFunnelCounter(same)
	c.Add(Activity{UserID: "u", Action: "tap", At: at(1)})
	if r := c.Result(); !reflect.DeepEqual(r.Users, []int64{1, 0}) {
		t.Errorf("one tap = %v, want [1 0]", r.Users)
	}
	c.Add(Activity{UserID: "u", Action: "tap", At: at(2)})
	if r := c.Result(); !reflect.DeepEqual(r.Users, []int64{1, 1}) {
		t.Errorf("two taps = %v, want [1 1]", r.Users)
	}
}

func TestFunnelValidate(t *testing.T) {
	ok := Funnel{Steps: []string{"a", "b"}, Within: time.Hour, From: at(0), To: at(1)}
	bad := map[string]func(*Funnel){
		"one step":      func(f *Funnel) { f.Steps = f.Steps[:1] },
		"bad step":      func(f *Funnel) { f.Steps = []string{"a", "B:*"} },
		"no window":     func(f *Funnel) { f.Within = 0 },
		"huge window":   func(f *Funnel) { f.Within = MaxFunnelWithin + time.Second },
		"from after to": func(f *Funnel) { f.From = at(2) },
		"no from":       func(f *Funnel) { f.From = time.Time{} },
		"huge range":    func(f *Funnel) { f.To = f.From.Add(MaxFunnelRange + time.Hour) },
		"too many steps": func(f *Funnel) {
			f.Steps = strings.Split(strings.Repeat("s,", MaxFunnelSteps)+"s", ",")
		},
	}
	for name, mutate := range bad {
		f := ok
		mutate(&f)
		if err := f.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}
