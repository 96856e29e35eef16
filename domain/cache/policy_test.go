package cache

import (
	"errors"
	"testing"
	"time"
)

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	zeroWindows := DefaultPolicy()
	zeroWindows.NegativeTTL, zeroWindows.StaleWhileRevalidate, zeroWindows.StaleIfError, zeroWindows.Jitter, zeroWindows.Beta = 0, 0, 0, 0, 0
	if err := zeroWindows.Validate(); err != nil {
		t.Errorf("zero windows, jitter and beta: %v", err)
	}
	for name, mut := range map[string]func(*Policy){
		"zero ttl":          func(p *Policy) { p.TTL = 0 },
		"negative neg ttl":  func(p *Policy) { p.NegativeTTL = -time.Second },
		"sub-ms neg ttl":    func(p *Policy) { p.NegativeTTL = time.Microsecond },
		"negative window":   func(p *Policy) { p.StaleIfError = -1 },
		"jitter above half": func(p *Policy) { p.Jitter = 0.6 },
		"negative beta":     func(p *Policy) { p.Beta = -1 },
	} {
		p := DefaultPolicy()
		mut(&p)
		if err := p.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", name, err)
		}
	}
}

func TestNewEntry(t *testing.T) {
	p := Policy{TTL: time.Minute, NegativeTTL: 5 * time.Second, StaleWhileRevalidate: 10 * time.Second,
		StaleIfError: time.Hour, Jitter: 0.5}
	now := t0.Add(123456789 * time.Nanosecond)
	e := p.NewEntry([]byte("v"), false, 42*time.Millisecond+7*time.Nanosecond, now, 0)
	if !e.FreshUntil.Equal(t0.Add(123*time.Millisecond+time.Minute)) || e.Revalidate != 10*time.Second || e.IfError != time.Hour ||
		e.LoadTime != 42*time.Millisecond || string(e.Value) != "v" {
		t.Errorf("NewEntry(u=0) = %+v", e)
	}
	if stored, _ := DecodeEntry(e.Encode()); !stored.FreshUntil.Equal(e.FreshUntil) || stored.LoadTime != e.LoadTime {
		t.Errorf("NewEntry is not what storage keeps: %+v vs %+v", stored, e)
	}
	// The largest draw takes off at most Jitter of the TTL.
	e = p.NewEntry([]byte("v"), false, 0, now, 0.999999)
	if d := e.FreshUntil.Sub(now); d < 30*time.Second-time.Millisecond || d > time.Minute {
		t.Errorf("jittered TTL = %s, want within [30s, 1m]", d)
	}
	n := p.NewEntry(nil, true, time.Second, now, 0.9)
	if !n.Negative || !n.FreshUntil.Equal(t0.Add(123*time.Millisecond+5*time.Second)) || n.Revalidate != 0 || n.IfError != 0 {
		t.Errorf("negative entry = %+v, want 5s and no stale windows", n)
	}
	if !n.Expiry().Equal(n.FreshUntil) {
		t.Errorf("negative entry expiry %s, want its fresh-until", n.Expiry())
	}
}
