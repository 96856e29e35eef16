package lock

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "orders.42", "user@example.com", "job-7_x", strings.Repeat("n", MaxNameLen)} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "a:b", "{a}", "a*", "a b", "a/b", "é", strings.Repeat("n", MaxNameLen+1)} {
		if err := ValidateName(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateName(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestValidateNames(t *testing.T) {
	if err := ValidateNames([]string{"a", "b"}); err != nil {
		t.Errorf("two names: %v", err)
	}
	many := make([]string, MaxNames+1)
	for i := range many {
		many[i] = "n" + strings.Repeat("x", i)
	}
	for _, bad := range [][]string{nil, {"a", "a"}, {"a", "b:c"}, many} {
		if err := ValidateNames(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateNames(%d names) = %v, want ErrInvalid", len(bad), err)
		}
	}
}

func TestTokens(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b || len(a) != 22 {
		t.Errorf("tokens %q %q: want two different 22-character tokens", a, b)
	}
	if err := ValidateToken(a); err != nil {
		t.Errorf("ValidateToken(NewToken()) = %v", err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 65), "aaaaaaaaaaaaaaa:aaaa", "aaaaaaaaaaaaaaaa{}"} {
		if err := ValidateToken(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateToken(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	tok, _ := NewToken()
	good := Request{Names: []string{"a"}, Token: tok, Mode: Exclusive, TTL: time.Second, Queue: true}
	if err := good.Validate(); err != nil {
		t.Fatalf("good request: %v", err)
	}
	cases := map[string]func(r *Request){
		"no names":        func(r *Request) { r.Names = nil },
		"bad mode":        func(r *Request) { r.Mode = "upgradable" },
		"ttl too short":   func(r *Request) { r.TTL = time.Millisecond },
		"ttl too long":    func(r *Request) { r.TTL = MaxTTL + time.Second },
		"bad token":       func(r *Request) { r.Token = "x" },
		"multi can queue": func(r *Request) { r.Names = []string{"a", "b"} },
	}
	for name, mutate := range cases {
		r := good
		mutate(&r)
		if err := r.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate() = %v, want ErrInvalid", name, err)
		}
	}
	shared := good
	shared.Mode, shared.Queue, shared.Names = Shared, false, []string{"a", "b"}
	if err := shared.Validate(); err != nil {
		t.Errorf("shared multi-lock without queue: %v", err)
	}
}

func TestLeaseFences(t *testing.T) {
	l := Lease{Names: []string{"a", "b"}, Fences: []int64{7, 9}}
	if l.Fence() != 7 || l.FenceOf("b") != 9 || l.FenceOf("c") != 0 {
		t.Errorf("Fence %d FenceOf(b) %d FenceOf(c) %d", l.Fence(), l.FenceOf("b"), l.FenceOf("c"))
	}
	if (Lease{}).Fence() != 0 {
		t.Error("empty lease has a fence")
	}
}

func TestCheckFence(t *testing.T) {
	cases := []struct {
		stored, presented int64
		want              error
	}{
		{0, 1, nil},
		{5, 5, nil},
		{5, 6, nil},
		{6, 5, ErrStaleFence},
		{0, 0, ErrInvalid},
		{3, -1, ErrInvalid},
	}
	for _, c := range cases {
		err := CheckFence(c.stored, c.presented)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("CheckFence(%d, %d) = %v, want %v", c.stored, c.presented, err, c.want)
		}
	}
}

func TestQuorumAndValidity(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3} {
		if got := Quorum(n); got != want {
			t.Errorf("Quorum(%d) = %d, want %d", n, got, want)
		}
	}
	if got := Validity(10*time.Second, time.Second, 0.01); got != 10*time.Second-time.Second-100*time.Millisecond-ClockDriftFloor {
		t.Errorf("Validity = %v", got)
	}
	if got := Validity(100*time.Millisecond, 150*time.Millisecond, 0.01); got > 0 {
		t.Errorf("Validity after the ttl = %v, want <= 0", got)
	}
}

func TestModeAndErrors(t *testing.T) {
	if Exclusive.Validate() != nil || Shared.Validate() != nil || Mode("").Validate() == nil {
		t.Error("mode validation")
	}
	if !errors.Is(ErrLost, ErrNotHeld) {
		t.Error("ErrLost must also be ErrNotHeld")
	}
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"a", "a:b", "{x}", "orders.42", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateName(s) == nil && strings.ContainsAny(s, ":{}* ") {
			t.Errorf("ValidateName(%q) accepted a key metacharacter", s)
		}
	})
}
