package session_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/session"
)

func ptr(s string) *string { return &s }

func TestValidateUserID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in string
		ok bool
	}{
		{"alice", true},
		{"Bob_42", true},
		{"bob@example.com", true},
		{"a.b-c_d", true},
		{"7", true},
		{strings.Repeat("u", session.MaxUserIDLen), true},
		{"", false},
		{strings.Repeat("u", session.MaxUserIDLen+1), false},
		{"user:1", false},
		{"{user}", false},
		{"user{", false},
		{"user}", false},
		{"user*", false},
		{"*", false},
		{"with space", false},
		{"new\nline", false},
		{"alice\n", false},
		{"slash/", false},
		{"ünïcode", false},
		{"a\x00b", false},
	}
	for _, tt := range tests {
		err := session.ValidateUserID(tt.in)
		if tt.ok && err != nil {
			t.Errorf("ValidateUserID(%q) = %v, want nil", tt.in, err)
		}
		if !tt.ok && !errors.Is(err, session.ErrInvalid) {
			t.Errorf("ValidateUserID(%q) = %v, want ErrInvalid", tt.in, err)
		}
	}
}

func TestValidateID(t *testing.T) {
	t.Parallel()
	tok, err := session.NewToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	id := tok.ID()
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"token id", id, true},
		{"all A", strings.Repeat("A", 43), true},
		{"url alphabet", strings.Repeat("-_", 21) + "z", true},
		{"empty", "", false},
		{"short", id[:42], false},
		{"long", id + "A", false},
		{"the token itself", tok.String(), false},
		{"colon", id[:42] + ":", false},
		{"open brace", "{" + id[1:], false},
		{"close brace", id[:42] + "}", false},
		{"star", id[:42] + "*", false},
		{"padding", id[:42] + "=", false},
		{"std alphabet", id[:42] + "+", false},
		{"space", id[:42] + " ", false},
	}
	for _, tt := range tests {
		err := session.ValidateID(tt.in)
		if tt.ok && err != nil {
			t.Errorf("%s: ValidateID(%q) = %v, want nil", tt.name, tt.in, err)
		}
		if !tt.ok && !errors.Is(err, session.ErrInvalid) {
			t.Errorf("%s: ValidateID(%q) = %v, want ErrInvalid", tt.name, tt.in, err)
		}
	}
}

func TestValidateData(t *testing.T) {
	t.Parallel()
	tooMany := map[string]*string{}
	for i := range session.MaxDataFields + 1 {
		tooMany[fmt.Sprintf("f%d", i)] = ptr("v")
	}
	maxFields := map[string]*string{}
	for i := range session.MaxDataFields {
		maxFields[fmt.Sprintf("f%d", i)] = nil
	}
	tests := []struct {
		name string
		in   map[string]*string
		ok   bool
	}{
		{"one set", map[string]*string{"theme": ptr("dark")}, true},
		{"one delete", map[string]*string{"theme": nil}, true},
		{"set and delete", map[string]*string{"theme": ptr("dark"), "lang": nil}, true},
		{"empty value", map[string]*string{"theme": ptr("")}, true},
		{"longest value", map[string]*string{"v": ptr(strings.Repeat("x", session.MaxFieldValueLen))}, true},
		{"longest name", map[string]*string{strings.Repeat("n", session.MaxFieldNameLen): ptr("v")}, true},
		{"name alphabet", map[string]*string{"a.B_9-z": ptr("v")}, true},
		{"max fields", maxFields, true},
		{"nil map", nil, false},
		{"empty map", map[string]*string{}, false},
		{"too many fields", tooMany, false},
		{"value too long", map[string]*string{"v": ptr(strings.Repeat("x", session.MaxFieldValueLen+1))}, false},
		{"name too long", map[string]*string{strings.Repeat("n", session.MaxFieldNameLen+1): ptr("v")}, false},
		{"empty name", map[string]*string{"": ptr("v")}, false},
		{"colon in name", map[string]*string{"a:b": ptr("v")}, false},
		{"brace in name", map[string]*string{"{a}": ptr("v")}, false},
		{"star in name", map[string]*string{"a*": ptr("v")}, false},
		{"at in name", map[string]*string{"a@b": ptr("v")}, false},
		{"space in name", map[string]*string{"a b": nil}, false},
	}
	for _, tt := range tests {
		err := session.ValidateData(tt.in)
		if tt.ok && err != nil {
			t.Errorf("%s: ValidateData() = %v, want nil", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, session.ErrInvalid) {
			t.Errorf("%s: ValidateData() = %v, want ErrInvalid", tt.name, err)
		}
	}
}

func TestNewSessionValidate(t *testing.T) {
	t.Parallel()
	fields := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("f%d", i)] = "v"
		}
		return m
	}
	valid := session.NewSession{UserID: "alice", IP: "203.0.113.7", Device: map[string]string{"os": "linux"}}
	tests := []struct {
		name   string
		modify func(*session.NewSession)
		ok     bool
	}{
		{"valid", func(*session.NewSession) {}, true},
		{"no ip or device", func(n *session.NewSession) { n.IP, n.Device = "", nil }, true},
		{"ipv6", func(n *session.NewSession) { n.IP = "2001:db8::1" }, true},
		{"max device fields", func(n *session.NewSession) { n.Device = fields(session.MaxDeviceFields) }, true},
		{"guest cart", func(n *session.NewSession) { n.GuestCartID = "cart-123" }, true},
		{"bad user id", func(n *session.NewSession) { n.UserID = "a:b" }, false},
		{"empty user id", func(n *session.NewSession) { n.UserID = "" }, false},
		{"ip too long", func(n *session.NewSession) { n.IP = strings.Repeat("1", session.MaxIPLen+1) }, false},
		{"too many device fields", func(n *session.NewSession) { n.Device = fields(session.MaxDeviceFields + 1) }, false},
		{"bad device field name", func(n *session.NewSession) { n.Device = map[string]string{"o:s": "x"} }, false},
		{"device value too long", func(n *session.NewSession) {
			n.Device = map[string]string{"ua": strings.Repeat("x", session.MaxFieldValueLen+1)}
		}, false},
		{"bad guest cart", func(n *session.NewSession) { n.GuestCartID = "cart{1}" }, false},
		{"guest cart too long", func(n *session.NewSession) { n.GuestCartID = strings.Repeat("c", session.MaxUserIDLen+1) }, false},
	}
	for _, tt := range tests {
		in := valid
		in.Device = map[string]string{"os": "linux"}
		tt.modify(&in)
		err := in.Validate()
		if tt.ok && err != nil {
			t.Errorf("%s: Validate() = %v, want nil", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, session.ErrInvalid) {
			t.Errorf("%s: Validate() = %v, want ErrInvalid", tt.name, err)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		p     session.Policy
		wantN int // how many rules the policy breaks
	}{
		{"default", session.DefaultPolicy(), 0},
		{"minimal", session.Policy{IdleTimeout: time.Second, AbsoluteLifetime: time.Second, MaxPerUser: 1}, 0},
		{"max per user 1000", session.Policy{IdleTimeout: time.Minute, AbsoluteLifetime: time.Hour, MaxPerUser: 1000}, 0},
		{"idle under 1s", session.Policy{IdleTimeout: 999 * time.Millisecond, AbsoluteLifetime: time.Hour, MaxPerUser: 1}, 1},
		{"absolute shorter than idle", session.Policy{IdleTimeout: time.Hour, AbsoluteLifetime: time.Minute, MaxPerUser: 1}, 1},
		{"zero per user", session.Policy{IdleTimeout: time.Minute, AbsoluteLifetime: time.Hour, MaxPerUser: 0}, 1},
		{"too many per user", session.Policy{IdleTimeout: time.Minute, AbsoluteLifetime: time.Hour, MaxPerUser: 1001}, 1},
		{"zero value", session.Policy{}, 2},
		{"everything wrong", session.Policy{IdleTimeout: time.Millisecond, AbsoluteLifetime: 0, MaxPerUser: -1}, 3},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		got := 0
		if err != nil {
			got = len(strings.Split(err.Error(), "\n"))
		}
		if got != tt.wantN {
			t.Errorf("%s: %+v.Validate() = %v, want %d problem(s)", tt.name, tt.p, err, tt.wantN)
		}
	}
}

func TestDefaultPolicy(t *testing.T) {
	t.Parallel()
	p := session.DefaultPolicy()
	want := session.Policy{IdleTimeout: 30 * time.Minute, AbsoluteLifetime: 7 * 24 * time.Hour, MaxPerUser: 10}
	if p != want {
		t.Errorf("DefaultPolicy() = %+v, want %+v", p, want)
	}
}

func TestExpiresAt(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	early, late := t0.Add(time.Minute), t0.Add(time.Hour)
	if got := (session.Session{IdleExpiresAt: early, AbsExpiresAt: late}).ExpiresAt(); !got.Equal(early) {
		t.Errorf("ExpiresAt() with idle first = %v, want %v", got, early)
	}
	if got := (session.Session{IdleExpiresAt: late, AbsExpiresAt: early}).ExpiresAt(); !got.Equal(early) {
		t.Errorf("ExpiresAt() with absolute first = %v, want %v", got, early)
	}
}

func TestErrExpiredIsNotFound(t *testing.T) {
	t.Parallel()
	if !errors.Is(session.ErrExpired, session.ErrNotFound) {
		t.Error("ErrExpired does not match ErrNotFound")
	}
	if errors.Is(session.ErrNotFound, session.ErrExpired) {
		t.Error("ErrNotFound matches ErrExpired")
	}
}

func TestEventNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got     string
		version int
		want    string
	}{
		{session.Created{}.EventName(), session.Created{}.EventVersion(), "session.created"},
		{session.Ended{}.EventName(), session.Ended{}.EventVersion(), "session.ended"},
		{session.Rotated{}.EventName(), session.Rotated{}.EventVersion(), "session.rotated"},
	}
	for _, tt := range tests {
		if tt.got != tt.want || tt.version != 1 {
			t.Errorf("event %q v%d, want %q v1", tt.got, tt.version, tt.want)
		}
	}
}
