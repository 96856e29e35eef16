package cache

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// FormatVersion is the first byte of every stored entry. A reader meeting another version treats the entry
// as absent (ErrCorrupt), so a format change never breaks running instances: they reload.
const FormatVersion byte = 1

const flagNegative byte = 1

// Entry is one cached value as the shared tier stores it, with what the stampede rules need: how long the
// value took to load (XFetch), when it stops being fresh, and how long after that it may still be served
// while a refresh runs (stale-while-revalidate) or when a refresh fails (stale-if-error).
type Entry struct {
	// Value is the codec's encoding of the value; empty for a negative entry.
	Value []byte
	// Negative marks a remembered "not found" from the loader.
	Negative bool
	// LoadTime is how long the loader took (the XFetch delta).
	LoadTime time.Duration
	// FreshUntil is when the entry stops being fresh (millisecond precision once stored).
	FreshUntil time.Time
	// Revalidate is the stale-while-revalidate window after FreshUntil: the value is served while one
	// caller refreshes it in the background.
	Revalidate time.Duration
	// IfError is the stale-if-error window after FreshUntil: the value stands in when a reload fails or
	// loads are shed.
	IfError time.Duration
}

// State says what an entry is good for at a given moment.
type State int

// The states of an entry, from best to worst.
const (
	// Fresh entries are served as they are (XFetch may start an early refresh).
	Fresh State = iota
	// Revalidating entries are served while a background refresh runs.
	Revalidating
	// StaleIfError entries are served only when a reload fails or is shed.
	StaleIfError
	// Dead entries are not served at all.
	Dead
)

// StateAt returns the entry's state at now.
func (e Entry) StateAt(now time.Time) State {
	return StateAt(now.UnixNano(), e.FreshUntil.UnixNano(), e.Revalidate, e.IfError)
}

// StateAt is Entry.StateAt on Unix nanoseconds, for hot paths that keep the boundaries as integers.
func StateAt(now, freshUntil int64, revalidate, ifError time.Duration) State {
	switch {
	case now < freshUntil:
		return Fresh
	case now < freshUntil+int64(revalidate):
		return Revalidating
	case now < freshUntil+int64(ifError):
		return StaleIfError
	default:
		return Dead
	}
}

// Expiry is when the entry becomes Dead: the shared tier may drop it then.
func (e Entry) Expiry() time.Time {
	return e.FreshUntil.Add(max(e.Revalidate, e.IfError))
}

// Meta is the entry without its value.
func (e Entry) Meta() Entry {
	e.Value = nil
	return e
}

// Header is the encoding of everything but the value: the prefix of Encode. A stored entry that starts with
// another entry's header is (to the millisecond and microsecond) the same entry.
func (e Entry) Header() []byte { return e.Meta().Encode() }

// Encode lays the entry out for storage:
//
//	byte 0      FormatVersion
//	byte 1      flags (bit 0: negative)
//	uvarint     load time, microseconds
//	uvarint     fresh-until, Unix milliseconds
//	uvarint     stale-while-revalidate window, milliseconds
//	uvarint     stale-if-error window, milliseconds
//	rest        the value
func (e Entry) Encode() []byte {
	buf := make([]byte, 2, 2+4*binary.MaxVarintLen64+len(e.Value))
	buf[0] = FormatVersion
	if e.Negative {
		buf[1] = flagNegative
	}
	buf = binary.AppendUvarint(buf, uint64(max(e.LoadTime, 0)/time.Microsecond))
	buf = binary.AppendUvarint(buf, uint64(max(e.FreshUntil.UnixMilli(), 0)))
	buf = binary.AppendUvarint(buf, uint64(max(e.Revalidate, 0)/time.Millisecond))
	buf = binary.AppendUvarint(buf, uint64(max(e.IfError, 0)/time.Millisecond))
	return append(buf, e.Value...)
}

// DecodeEntry reads an encoded entry. The returned Value shares b's memory. Bytes of another format
// version or cut short are ErrCorrupt.
func DecodeEntry(b []byte) (Entry, error) {
	if len(b) < 2 {
		return Entry{}, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(b))
	}
	if b[0] != FormatVersion {
		return Entry{}, fmt.Errorf("%w: format version %d, want %d", ErrCorrupt, b[0], FormatVersion)
	}
	if b[1]&^flagNegative != 0 {
		return Entry{}, fmt.Errorf("%w: unknown flags %#x", ErrCorrupt, b[1])
	}
	e := Entry{Negative: b[1]&flagNegative != 0}
	rest := b[2:]
	var fields [4]uint64
	for i := range fields {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > math.MaxInt64/uint64(time.Millisecond) {
			return Entry{}, fmt.Errorf("%w: bad header field %d", ErrCorrupt, i)
		}
		fields[i], rest = v, rest[n:]
	}
	if e.Negative && len(rest) != 0 {
		return Entry{}, fmt.Errorf("%w: negative entry carries a value", ErrCorrupt)
	}
	e.LoadTime = time.Duration(fields[0]) * time.Microsecond
	e.FreshUntil = time.UnixMilli(int64(fields[1]))
	e.Revalidate = time.Duration(fields[2]) * time.Millisecond
	e.IfError = time.Duration(fields[3]) * time.Millisecond
	if len(rest) > 0 {
		e.Value = rest
	}
	return e, nil
}

// xfetchCutoff bounds -ln(u) for the cheap pre-check: e^-40 is about 4e-18, so an entry further than
// 40 * delta * beta from expiry is never worth drawing a random number for.
const xfetchCutoff = 40

// RefreshEarly is the XFetch rule (Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic Cache Stampede
// Prevention", VLDB 2015): recompute now when now - delta*beta*ln(u) >= expiry, with u uniform in (0, 1].
// At a gap g before expiry one request refreshes with probability exp(-g / (delta*beta)), so refreshes
// cluster just before expiry and slow loads start earlier. Times are Unix nanoseconds; u is drawn only
// when the entry is close enough to expiry to matter. beta <= 0 or delta <= 0 never refreshes early.
func RefreshEarly(now, freshUntil int64, delta time.Duration, beta float64, u func() float64) bool {
	gap := freshUntil - now
	if gap <= 0 {
		return true
	}
	if delta <= 0 || beta <= 0 {
		return false
	}
	scale := float64(delta) * beta
	if float64(gap) > scale*xfetchCutoff {
		return false
	}
	return -scale*math.Log(u()) >= float64(gap)
}
