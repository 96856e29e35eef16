package semaphore

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidatePool(t *testing.T) {
	for _, ok := range []string{"db", "pool.eu-1", "x@y", strings.Repeat("p", MaxPoolLen)} {
		if err := ValidatePool(ok); err != nil {
			t.Errorf("ValidatePool(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a:b", "{a}", "a*", "a b", strings.Repeat("p", MaxPoolLen+1)} {
		if err := ValidatePool(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidatePool(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestPermitIDs(t *testing.T) {
	a, err := NewPermitID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewPermitID()
	if a == b || ValidatePermitID(a) != nil {
		t.Errorf("ids %q %q", a, b)
	}
	for _, bad := range []string{"", "short", "aaaaaaaaaaaaaaaa:", strings.Repeat("a", 65)} {
		if err := ValidatePermitID(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidatePermitID(%q) = %v", bad, err)
		}
	}
}

func TestRequestValidate(t *testing.T) {
	id, _ := NewPermitID()
	good := Request{Pool: "db", ID: id, Weight: 2, TTL: time.Second, Capacity: 5, Queue: true}
	if err := good.Validate(); err != nil {
		t.Fatalf("good: %v", err)
	}
	cases := map[string]func(r *Request){
		"zero weight":     func(r *Request) { r.Weight = 0 },
		"heavier than":    func(r *Request) { r.Weight = 6 },
		"bad capacity":    func(r *Request) { r.Capacity = -1 },
		"huge capacity":   func(r *Request) { r.Capacity = MaxCapacity + 1 },
		"short ttl":       func(r *Request) { r.TTL = time.Millisecond },
		"bad pool":        func(r *Request) { r.Pool = "a{b}" },
		"bad permit id":   func(r *Request) { r.ID = "nope" },
		"ttl beyond max":  func(r *Request) { r.TTL = MaxTTL * 2 },
		"negative weight": func(r *Request) { r.Weight = -3 },
	}
	for name, mutate := range cases {
		r := good
		mutate(&r)
		if err := r.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate() = %v, want ErrInvalid", name, err)
		}
	}
	noCap := good
	noCap.Capacity = 0
	if err := noCap.Validate(); err != nil {
		t.Errorf("capacity 0 (use the pool's): %v", err)
	}
	heavy := good
	heavy.Weight = 9
	if err := heavy.Validate(); !errors.Is(err, ErrTooHeavy) {
		t.Errorf("weight over capacity: %v, want ErrTooHeavy", err)
	}
}

func TestStatsAvailable(t *testing.T) {
	if got := (Stats{Capacity: 5, Used: 3}).Available(); got != 2 {
		t.Errorf("Available = %d", got)
	}
	if got := (Stats{Capacity: 2, Used: 3}).Available(); got != 0 {
		t.Errorf("over capacity after a shrink: Available = %d, want 0", got)
	}
	if !errors.Is(ErrLost, ErrNotHeld) || !errors.Is(ErrTooHeavy, ErrInvalid) {
		t.Error("error wrapping")
	}
	if ValidateCapacity(0) == nil || ValidateCapacity(1) != nil || ValidateTTL(time.Hour) != nil {
		t.Error("capacity/ttl validation")
	}
}
