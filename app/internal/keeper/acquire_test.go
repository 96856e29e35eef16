package keeper

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	errInvalid     = errors.New("invalid")
	errNotAcquired = errors.New("not acquired")
	errNotHeld     = errors.New("not held")
	errLost        = errors.New("lost")
	testErrs       = Errors{Invalid: errInvalid, NotAcquired: errNotAcquired, NotHeld: errNotHeld, Lost: errLost}
)

func TestSettingsValidate(t *testing.T) {
	if err := DefaultSettings().Validate("semaphore", "permit", func(time.Duration) error { return nil }); err != nil {
		t.Fatal(err)
	}
	bad := Settings{Backoff: DefaultBackoff(), DriftFactor: 0.5, MaxWait: -1}
	err := bad.Validate("semaphore", "permit", func(time.Duration) error { return errInvalid })
	for _, want := range []string{"default permit ttl: invalid", "semaphore drift factor 0.5", "semaphore max wait -1ns"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to say %q", err, want)
		}
	}
}

func TestErrors(t *testing.T) {
	if !testErrs.Gone(errNotHeld) || testErrs.Gone(errInvalid) {
		t.Error("Gone does not follow NotHeld")
	}
	lost := testErrs.LostFor([]string{"a", "b"})
	if err := lost(errNotHeld); !errors.Is(err, errLost) || !errors.Is(err, errNotHeld) || err.Error() != "lost: [a b]: not held" {
		t.Errorf("LostFor(names)(not held) = %v", err)
	}
	if already := lost(errLost); already != errLost {
		t.Errorf("a loss was wrapped again: %v", already)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := testErrs.Stopped(ctx, errInvalid); err != errInvalid {
		t.Errorf("Stopped before the end = %v", err)
	}
	cancel()
	if err := testErrs.Stopped(ctx, errInvalid); !errors.Is(err, errNotAcquired) || !errors.Is(err, context.Canceled) {
		t.Errorf("Stopped after the end = %v", err)
	}
}

func TestGrant(t *testing.T) {
	s := Settings{MaxWait: time.Second}
	obtain := func(ctx context.Context, block bool) (bool, time.Time, error) {
		_, deadline := ctx.Deadline()
		if block != deadline {
			t.Errorf("block %v with deadline %v", block, deadline)
		}
		return block, time.Now(), nil
	}
	for _, wait := range []time.Duration{-1, 2 * time.Second} {
		if _, err := Grant(context.Background(), s, testErrs, wait, obtain); !errors.Is(err, errInvalid) {
			t.Errorf("wait %s: %v, want Invalid", wait, err)
		}
	}
	if block, err := Grant(context.Background(), s, testErrs, 0, obtain); err != nil || block {
		t.Errorf("wait 0: block %v, %v", block, err)
	}
	if block, err := Grant(context.Background(), s, testErrs, time.Second, obtain); err != nil || !block {
		t.Errorf("wait 1s: block %v, %v", block, err)
	}
}

type holder struct{ release error }

func (h *holder) Context() context.Context          { return context.Background() }
func (h *holder) Release(ctx context.Context) error { return h.release }

func TestDo(t *testing.T) {
	fnErr := errors.New("fn failed")
	cases := []struct {
		fn, release error
		want        []error
	}{
		{nil, nil, nil},
		{fnErr, errNotHeld, []error{fnErr}},
		{nil, errNotHeld, []error{errNotHeld}},
		{fnErr, errLost, []error{fnErr, errLost}},
	}
	for _, c := range cases {
		err := Do(context.Background(), testErrs, &holder{release: c.release}, func(context.Context, *holder) error { return c.fn })
		for _, w := range c.want {
			if !errors.Is(err, w) {
				t.Errorf("fn %v, release %v: %v, want %v in it", c.fn, c.release, err, w)
			}
		}
		if c.want == nil && err != nil || c.fn != nil && c.release != errLost && errors.Is(err, c.release) {
			t.Errorf("fn %v, release %v: %v", c.fn, c.release, err)
		}
	}
}

func TestPause(t *testing.T) {
	wakes := make(chan int, 1)
	wakes <- 7
	if w, woke, err := Pause(context.Background(), time.Hour, wakes); w != 7 || !woke || err != nil {
		t.Errorf("wake-up: %v %v %v", w, woke, err)
	}
	if _, woke, err := Pause[int](context.Background(), 0, nil); woke || err != nil {
		t.Errorf("timer: %v %v", woke, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, woke, err := Pause(ctx, time.Hour, wakes); woke || !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v %v", woke, err)
	}
}
