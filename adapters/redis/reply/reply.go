// Package reply decodes the replies of Redis scripts with checked accessors. A script's reply reaches Go as
// nested []any of int64, string and nil (Lua false); a store that asserted those types directly would
// panic on a reply of another shape (an older script still cached by Redis, a proxy, a bug). Every script
// reply in the Redis adapters goes through a Decoder instead: a reply of the wrong shape becomes an error
// that wraps ErrBadReply and names the script and what was expected.
//
// A Decoder keeps its first error, so a store reads every field it needs and checks Err once before it
// uses them; an accessor that fails returns a zero value, and Array returns items that are safe to index.
package reply

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrBadReply is wrapped by every error a Decoder reports: a script answered with a reply of a shape its
// store does not expect.
var ErrBadReply = errors.New("unexpected script reply")

// Decoder reads the reply of one script. The zero value is usable but names no script.
type Decoder struct {
	script string
	err    error
}

// New returns a Decoder whose errors name script (for example "create session").
func New(script string) Decoder { return Decoder{script: script} }

// Err is the first error met, or nil when every accessor got what it expected.
func (d *Decoder) Err() error { return d.err }

// Fail records that the reply held got where want was expected, unless an error is already recorded; it
// is for checks only the store can make (an unknown status code, a row of the wrong length).
func (d *Decoder) Fail(want string, got any) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %w: want %s, got %s", d.script, ErrBadReply, want, describe(got))
	}
}

// describe shows a value short enough for an error message.
func describe(v any) string {
	s := fmt.Sprintf("%T %v", v, v)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// Array is v as an array of at least min items. On failure it returns min nil items, so a caller may
// index them before it checks Err.
func (d *Decoder) Array(v any, min int) []any {
	a, ok := v.([]any)
	if d.err == nil && ok && len(a) >= min {
		return a
	}
	if d.err == nil {
		d.Fail(fmt.Sprintf("an array of at least %d items", min), v)
	}
	return make([]any, min)
}

// Exactly is v as an array of exactly n items (n nil items on failure, as with Array).
func (d *Decoder) Exactly(v any, n int) []any {
	a := d.Array(v, n)
	if len(a) != n {
		d.Fail(fmt.Sprintf("an array of %d items", n), v)
		return make([]any, n)
	}
	return a
}

// Int64 is v as an integer reply, 0 on failure.
func (d *Decoder) Int64(v any) int64 {
	n, ok := v.(int64)
	if !ok {
		d.Fail("an integer", v)
		return 0
	}
	return n
}

// Int is Int64 as an int.
func (d *Decoder) Int(v any) int { return int(d.Int64(v)) }

// Bool is whether v is the integer 1 (0 is false; any other value is an error).
func (d *Decoder) Bool(v any) bool {
	n, ok := v.(int64)
	if !ok || (n != 0 && n != 1) {
		d.Fail("0 or 1", v)
		return false
	}
	return n == 1
}

// Int64s is v as an array of at least min integers. On failure it returns min zeros, so a caller may
// index them before it checks Err.
func (d *Decoder) Int64s(v any, min int) []int64 {
	a := d.Array(v, min)
	out := make([]int64, len(a))
	for i, item := range a {
		out[i] = d.Int64(item)
	}
	if d.err != nil {
		return make([]int64, min)
	}
	return out
}

// Number is v as an integer given either as an integer reply or as a decimal string (what a script
// returns for a number read from a hash), 0 on failure.
func (d *Decoder) Number(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		if err == nil {
			return i
		}
	}
	d.Fail("an integer or a decimal string", v)
	return 0
}

// String is v as a string reply, "" on failure.
func (d *Decoder) String(v any) string {
	s, ok := v.(string)
	if !ok {
		d.Fail("a string", v)
		return ""
	}
	return s
}

// OptString is v as a string reply, or ok false when v is nil (the script returned false for absent).
func (d *Decoder) OptString(v any) (s string, ok bool) {
	if v == nil {
		return "", false
	}
	return d.String(v), d.err == nil
}

// Strings is v as an array of strings (nil on failure).
func (d *Decoder) Strings(v any) []string {
	a := d.Array(v, 0)
	out := make([]string, len(a))
	for i, item := range a {
		out[i] = d.String(item)
	}
	if d.err != nil {
		return nil
	}
	return out
}

// Pairs is v as a flat list of field, value strings (HGETALL's shape): an array of strings of even
// length (nil on failure). The order of the list is kept.
func (d *Decoder) Pairs(v any) []string {
	s := d.Strings(v)
	if len(s)%2 != 0 {
		d.Fail("an even number of strings", v)
		return nil
	}
	return s
}
