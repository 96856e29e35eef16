package keeper

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := Backoff{Base: 10 * time.Millisecond, Max: 80 * time.Millisecond}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		attempt  int
		r        float64
		min, max time.Duration
	}{
		{0, 0, 5 * time.Millisecond, 5 * time.Millisecond},
		{0, 0.999, 5 * time.Millisecond, 10 * time.Millisecond},
		{2, 0, 20 * time.Millisecond, 20 * time.Millisecond},
		{3, 0.5, 40 * time.Millisecond, 80 * time.Millisecond},
		{10, 0, 40 * time.Millisecond, 40 * time.Millisecond},
		{1000, 0.999, 40 * time.Millisecond, 80 * time.Millisecond},
	}
	for _, c := range cases {
		if d := b.Delay(c.attempt, c.r); d < c.min || d > c.max {
			t.Errorf("Delay(%d, %v) = %v, want %v..%v", c.attempt, c.r, d, c.min, c.max)
		}
	}
	for i := 0; i < 100; i++ {
		if d := b.Next(3); d < 40*time.Millisecond || d > 80*time.Millisecond {
			t.Fatalf("Next(3) = %v", d)
		}
	}
	for _, bad := range []Backoff{{}, {Base: time.Second, Max: time.Millisecond}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := DefaultBackoff().Validate(); err != nil {
		t.Error(err)
	}
}
