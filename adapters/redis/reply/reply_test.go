package reply_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
)

func TestAccessorsAcceptTheirShape(t *testing.T) {
	d := reply.New("test")
	a := d.Array([]any{int64(7), "x", nil, []any{"f", "v"}, "12", int64(1)}, 6)
	if got := d.Int64(a[0]); got != 7 {
		t.Errorf("Int64 = %d, want 7", got)
	}
	if got := d.String(a[1]); got != "x" {
		t.Errorf("String = %q, want x", got)
	}
	if s, ok := d.OptString(a[2]); ok || s != "" {
		t.Errorf("OptString(nil) = %q, %v; want \"\", false", s, ok)
	}
	if s, ok := d.OptString(a[1]); !ok || s != "x" {
		t.Errorf("OptString(x) = %q, %v; want x, true", s, ok)
	}
	if got := d.Pairs(a[3]); !slices.Equal(got, []string{"f", "v"}) {
		t.Errorf("Pairs = %v", got)
	}
	if got := d.Number(a[4]); got != 12 {
		t.Errorf("Number(\"12\") = %d, want 12", got)
	}
	if got := d.Number(a[5]); got != 1 {
		t.Errorf("Number(1) = %d, want 1", got)
	}
	if !d.Bool(a[5]) {
		t.Error("Bool(1) = false")
	}
	if got := d.Exactly([]any{"a"}, 1); len(got) != 1 {
		t.Errorf("Exactly = %v", got)
	}
	if got := d.Int64s([]any{int64(1), int64(2)}, 2); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("Int64s = %v", got)
	}
	if err := d.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

func TestWrongShapesAreErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		read func(d *reply.Decoder)
	}{
		{"int64 of a string", func(d *reply.Decoder) { d.Int64("1") }},
		{"int64 of nil", func(d *reply.Decoder) { d.Int64(nil) }},
		{"int of an array", func(d *reply.Decoder) { d.Int([]any{}) }},
		{"bool of 2", func(d *reply.Decoder) { d.Bool(int64(2)) }},
		{"bool of a string", func(d *reply.Decoder) { d.Bool("1") }},
		{"number of a word", func(d *reply.Decoder) { d.Number("one") }},
		{"number of nil", func(d *reply.Decoder) { d.Number(nil) }},
		{"string of an integer", func(d *reply.Decoder) { d.String(int64(1)) }},
		{"opt string of an integer", func(d *reply.Decoder) { d.OptString(int64(1)) }},
		{"array of a string", func(d *reply.Decoder) { d.Array("x", 0) }},
		{"array too short", func(d *reply.Decoder) { d.Array([]any{int64(1)}, 2) }},
		{"exactly too long", func(d *reply.Decoder) { d.Exactly([]any{"a", "b"}, 1) }},
		{"int64s holding a string", func(d *reply.Decoder) { d.Int64s([]any{int64(1), "2"}, 1) }},
		{"int64s too short", func(d *reply.Decoder) { d.Int64s([]any{int64(1)}, 2) }},
		{"strings holding an integer", func(d *reply.Decoder) { d.Strings([]any{"a", int64(1)}) }},
		{"pairs of odd length", func(d *reply.Decoder) { d.Pairs([]any{"a"}) }},
		{"fail", func(d *reply.Decoder) { d.Fail("a known code", int64(9)) }},
	} {
		d := reply.New("some script")
		c.read(&d)
		err := d.Err()
		if !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("%s: Err = %v, want ErrBadReply", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), "some script") {
			t.Errorf("%s: %q does not name the script", c.name, err)
		}
	}
}

func TestFirstErrorSticks(t *testing.T) {
	d := reply.New("s")
	a := d.Array("not an array", 3)
	if len(a) != 3 {
		t.Fatalf("Array on failure gave %d items, want 3 to index safely", len(a))
	}
	first := d.Err()
	if got := d.Int64(int64(5)); got != 5 {
		t.Errorf("Int64 after an error = %d; an accessor still returns a good value", got)
	}
	if got := d.Array([]any{"a"}, 1); got[0] != nil {
		t.Errorf("Array after an error = %v, want nil items", got)
	}
	if d.Err() != first {
		t.Errorf("Err changed from %v to %v", first, d.Err())
	}
	if got := d.Int64s([]any{int64(1)}, 2); len(got) != 2 {
		t.Errorf("Int64s after an error gave %d items, want 2", len(got))
	}
	if d.Strings([]any{"a"}) != nil {
		t.Error("Strings after an error is not nil")
	}
}
