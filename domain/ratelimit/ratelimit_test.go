package ratelimit_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/domain/ratelimit"
)

func TestLimitQuota(t *testing.T) {
	for _, c := range []struct {
		l                ratelimit.Limit
		capacity         int64
		interval, window time.Duration
	}{
		{ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 100, Period: time.Second, Burst: 200}, 200, 10 * time.Millisecond, 2 * time.Second},
		{ratelimit.Limit{Strategy: ratelimit.TokenBucket, Count: 10, Period: time.Minute}, 10, 6 * time.Second, time.Minute},
		// 3/s is 333,333.33 us apart: rounded up, so never faster than configured.
		{ratelimit.Limit{Strategy: ratelimit.GCRA, Count: 3, Period: time.Second}, 3, 333334 * time.Microsecond, 1000002 * time.Microsecond},
		{ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: 5, Period: time.Hour}, 5, 720 * time.Second, time.Hour},
	} {
		if c.l.Capacity() != c.capacity || c.l.Interval() != c.interval || c.l.Window() != c.window {
			t.Errorf("%s: capacity %d interval %s window %s; want %d %s %s", c.l, c.l.Capacity(), c.l.Interval(),
				c.l.Window(), c.capacity, c.interval, c.window)
		}
		if err := c.l.Validate(); err != nil {
			t.Errorf("%s: %v", c.l, err)
		}
	}
}

func TestPolicyCost(t *testing.T) {
	p := ratelimit.Policy{Name: "p", Failure: ratelimit.FailOpen, Tiers: []ratelimit.Limit{
		{Strategy: ratelimit.GCRA, Count: 10, Period: time.Second, Burst: 30},
		{Strategy: ratelimit.FixedWindow, Count: 20, Period: time.Minute},
	}}
	if err := p.Validate(); err != nil || p.Capacity() != 20 {
		t.Fatalf("Validate %v, capacity %d; want nil, 20", err, p.Capacity())
	}
	for _, c := range []struct {
		cost int64
		ok   bool
	}{{1, true}, {20, true}, {0, false}, {-1, false}, {21, false}} {
		if err := p.ValidateCost(c.cost); (err == nil) != c.ok || err != nil && !errors.Is(err, ratelimit.ErrInvalid) {
			t.Errorf("ValidateCost(%d) = %v, want ok %t", c.cost, err, c.ok)
		}
	}
	bad := ratelimit.Policy{Name: "9lives", Failure: "sometimes"}
	err := bad.Validate()
	for _, want := range []string{"policy name", "tiers", "fail="} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%+v) = %v, want it to mention %q", bad, err, want)
		}
	}
}

func TestCallers(t *testing.T) {
	for _, c := range []struct {
		kind    ratelimit.Kind
		id      string
		subject string
	}{
		{ratelimit.KindKey, "shop", "key.shop"},
		{ratelimit.KindUser, "alice@example.com", "user.alice@example.com"},
		{ratelimit.KindIP, "203.0.113.7", "ip.203.0.113.7"},
		{ratelimit.KindIP, "::ffff:203.0.113.7", "ip.203.0.113.7"},
		// IPv6 callers count per /64: every address of one subscriber's network is one caller.
		{ratelimit.KindIP, "2001:db8:0:1::5", "ip.2001-db8-0-1--/64"},
		{ratelimit.KindIP, "2001:db8:0:1:ffff:1:2:3", "ip.2001-db8-0-1--/64"},
	} {
		got, err := ratelimit.NewCaller(c.kind, c.id)
		if err != nil || got.Subject() != c.subject {
			t.Errorf("NewCaller(%s, %q) = %q, %v; want %q", c.kind, c.id, got.Subject(), err, c.subject)
			continue
		}
		if err := ratelimit.ValidateSubject(got.Subject()); err != nil {
			t.Errorf("subject %q of a valid caller is refused: %v", got.Subject(), err)
		}
	}
	if c := ratelimit.CallerFromAddr(netip.MustParseAddr("fe80::1%eth0")); c.Subject() != "ip.fe80--/64" {
		t.Errorf("zoned address = %q", c.Subject())
	}
	for _, c := range []struct {
		kind ratelimit.Kind
		id   string
	}{
		{ratelimit.KindKey, ""}, {ratelimit.KindKey, "a:b"}, {ratelimit.KindUser, "{x}"}, {ratelimit.KindUser, "*"},
		{ratelimit.KindUser, strings.Repeat("u", 129)}, {ratelimit.KindUser, "a b"}, {ratelimit.KindIP, "999.1.1.1"},
		{ratelimit.KindIP, "example.com"}, {ratelimit.KindIP, "fe80::1%eth0"}, {"robot", "r2"},
	} {
		if _, err := ratelimit.NewCaller(c.kind, c.id); !errors.Is(err, ratelimit.ErrInvalid) {
			t.Errorf("NewCaller(%s, %q) = %v, want ErrInvalid", c.kind, c.id, err)
		}
	}
	for _, s := range []string{"", "a:b", "{a}", "a*", "a b", strings.Repeat("s", 161), "é"} {
		if err := ratelimit.ValidateSubject(s); !errors.Is(err, ratelimit.ErrInvalid) {
			t.Errorf("ValidateSubject(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

func TestSummarize(t *testing.T) {
	lim := func(n int64) ratelimit.Limit {
		return ratelimit.Limit{Strategy: ratelimit.FixedWindow, Count: n, Period: time.Minute}
	}
	s := time.Second
	allowed := ratelimit.Summarize([]ratelimit.TierResult{
		{Limit: lim(10), Allowed: true, Remaining: 7, ResetAfter: s},
		{Limit: lim(100), Allowed: true, Remaining: 3, ResetAfter: 50 * s},
		{Limit: lim(1000), Allowed: true, Remaining: 3, ResetAfter: 60 * s},
	})
	if !allowed.Allowed || allowed.Limit != 1000 || allowed.Remaining != 3 || allowed.ResetAfter != 60*s || allowed.RetryAfter != 0 {
		t.Errorf("allowed = %+v; want bound by the tier with the fewest left (the later reset on a tie)", allowed)
	}
	denied := ratelimit.Summarize([]ratelimit.TierResult{
		{Limit: lim(10), Allowed: false, Remaining: 0, ResetAfter: s, RetryAfter: s},
		{Limit: lim(100), Allowed: true, Remaining: 5, ResetAfter: 50 * s},
		{Limit: lim(1000), Allowed: false, Remaining: 1, ResetAfter: 60 * s, RetryAfter: 30 * s},
	})
	if denied.Allowed || denied.Limit != 1000 || denied.Remaining != 0 || denied.RetryAfter != 30*s || denied.ResetAfter != 60*s {
		t.Errorf("denied = %+v; want bound by the denying tier that admits last", denied)
	}
}
