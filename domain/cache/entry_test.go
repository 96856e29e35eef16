package cache

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2031, time.March, 4, 5, 6, 7, 0, time.UTC)

func TestEntryRoundTrip(t *testing.T) {
	for _, e := range []Entry{
		{Value: []byte(`{"name":"ada"}`), LoadTime: 1500 * time.Microsecond, FreshUntil: t0,
			Revalidate: time.Minute, IfError: 10 * time.Minute},
		{Value: []byte(`""`), FreshUntil: t0}, // an empty string is a value
		{Value: []byte(`0`), FreshUntil: t0},  // and so is zero
		{Negative: true, LoadTime: 3 * time.Second, FreshUntil: t0.Add(30 * time.Second)},
	} {
		got, err := DecodeEntry(e.Encode())
		if err != nil {
			t.Fatalf("DecodeEntry(Encode(%+v)) = %v", e, err)
		}
		if !bytes.Equal(got.Value, e.Value) || got.Negative != e.Negative || got.LoadTime != e.LoadTime ||
			!got.FreshUntil.Equal(e.FreshUntil) || got.Revalidate != e.Revalidate || got.IfError != e.IfError {
			t.Errorf("round trip = %+v, want %+v", got, e)
		}
		if !bytes.HasPrefix(e.Encode(), e.Header()) {
			t.Errorf("Header is not a prefix of Encode for %+v", e)
		}
	}
}

func TestEntryHeaderTellsEntriesApart(t *testing.T) {
	a := Entry{Value: []byte("1"), LoadTime: time.Millisecond, FreshUntil: t0}
	b := a
	b.FreshUntil = t0.Add(time.Millisecond)
	c := a
	c.LoadTime = 2 * time.Millisecond
	if bytes.HasPrefix(b.Encode(), a.Header()) || bytes.HasPrefix(c.Encode(), a.Header()) {
		t.Error("a refilled entry starts with the old entry's header")
	}
}

func TestDecodeEntryRejects(t *testing.T) {
	good := Entry{Value: []byte("v"), FreshUntil: t0}.Encode()
	negWithValue := Entry{Negative: true, FreshUntil: t0}.Encode()
	negWithValue = append(negWithValue, 'x')
	for name, b := range map[string][]byte{
		"empty":          nil,
		"one byte":       {FormatVersion},
		"other version":  append([]byte{FormatVersion + 1}, good[1:]...),
		"unknown flag":   append([]byte{FormatVersion, 0x80}, good[2:]...),
		"cut header":     good[:4],
		"negative+value": negWithValue,
		"huge varint":    {FormatVersion, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		if _, err := DecodeEntry(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: DecodeEntry = %v, want ErrCorrupt", name, err)
		}
	}
}

func TestStateAt(t *testing.T) {
	e := Entry{FreshUntil: t0, Revalidate: time.Minute, IfError: 10 * time.Minute}
	for _, c := range []struct {
		at   time.Duration
		want State
	}{
		{-time.Hour, Fresh}, {-time.Nanosecond, Fresh}, {0, Revalidating}, {59 * time.Second, Revalidating},
		{time.Minute, StaleIfError}, {10*time.Minute - time.Nanosecond, StaleIfError}, {10 * time.Minute, Dead},
	} {
		if got := e.StateAt(t0.Add(c.at)); got != c.want {
			t.Errorf("StateAt(fresh-until %+v) = %d, want %d", c.at, got, c.want)
		}
	}
	if got := e.Expiry(); !got.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("Expiry = %s, want fresh-until + 10m", got)
	}
	// A revalidate window longer than the if-error one: no StaleIfError phase at all.
	e = Entry{FreshUntil: t0, Revalidate: 5 * time.Minute, IfError: time.Minute}
	if got := e.StateAt(t0.Add(2 * time.Minute)); got != Revalidating {
		t.Errorf("inside revalidate, past if-error: %d, want Revalidating", got)
	}
	if got := e.StateAt(t0.Add(5 * time.Minute)); got != Dead {
		t.Errorf("past both windows: %d, want Dead", got)
	}
}

func TestRefreshEarlyRule(t *testing.T) {
	now := t0.UnixNano()
	delta := 100 * time.Millisecond
	fixed := func(u float64) func() float64 { return func() float64 { return u } }
	never := func() float64 { t.Fatal("drew a random number far from expiry"); return 1 }

	if !RefreshEarly(now, now, delta, 1, never) || !RefreshEarly(now, now-1, 0, 0, never) {
		t.Error("at or past expiry: want a refresh without drawing")
	}
	if RefreshEarly(now, now+int64(time.Hour), delta, 1, never) {
		t.Error("an hour before expiry with a 100 ms load: refreshed")
	}
	if RefreshEarly(now, now+1, 0, 1, never) || RefreshEarly(now, now+1, delta, 0, never) {
		t.Error("no load time or beta 0: refreshed early")
	}
	// gap = 200 ms = 2 * delta: refresh iff -ln(u) >= 2, i.e. u <= e^-2.
	gap := now + int64(2*delta)
	if !RefreshEarly(now, gap, delta, 1, fixed(math.Exp(-2)-1e-9)) || RefreshEarly(now, gap, delta, 1, fixed(math.Exp(-2)+1e-9)) {
		t.Error("the threshold is not at u = e^-(gap/delta)")
	}
	// beta 2 doubles the reach: the same gap now refreshes for u <= e^-1.
	if !RefreshEarly(now, gap, delta, 2, fixed(math.Exp(-1)-1e-9)) {
		t.Error("beta 2 did not double the reach")
	}
}

// TestRefreshEarlyProbability: over many draws the refresh rate at gap g matches exp(-g/(delta*beta)).
// With n = 200,000 draws the standard error of a rate p is at most sqrt(p(1-p)/n) <= 0.0012; the test allows
// 0.01 (over 8 standard errors).
func TestRefreshEarlyProbability(t *testing.T) {
	now := t0.UnixNano()
	delta := 10 * time.Millisecond
	const n = 200_000
	for _, gapMul := range []float64{0.5, 1, 2, 4} {
		gap := now + int64(gapMul*float64(delta))
		hits := 0
		for range n {
			if RefreshEarly(now, gap, delta, 1, func() float64 { return 1 - rand.Float64() }) {
				hits++
			}
		}
		got, want := float64(hits)/n, math.Exp(-gapMul)
		if math.Abs(got-want) > 0.01 {
			t.Errorf("gap %.1f delta: refresh rate %.4f, want %.4f", gapMul, got, want)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(Entry{Value: []byte("v"), FreshUntil: t0, Revalidate: time.Second}.Encode())
	f.Add(Entry{Negative: true, FreshUntil: t0}.Encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeEntry error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := DecodeEntry(e.Encode())
		if err != nil || !bytes.Equal(again.Value, e.Value) || !again.FreshUntil.Equal(e.FreshUntil) {
			t.Fatalf("re-encoding %x: %+v, %v", b, again, err)
		}
	})
}
