package jobredis

import (
	"errors"
	"testing"

	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/job"
)

// Every decoder answers a reply of the wrong shape with an error wrapping reply.ErrBadReply, never a panic.
func TestRepliesOfTheWrongShape(t *testing.T) {
	specs := []job.Spec{{ID: "j1"}}
	settle := job.Exchange{Settles: []job.Settle{{Lease: job.Lease{ID: "j1", Run: 1}}}}
	row := func(n int) []any {
		r := make([]any, n)
		for i := range r {
			r[i] = "1"
		}
		return r
	}
	ok := []any{int64(1), int64(0), int64(0), int64(0), []any{}, []any{}, []any{}}
	with := func(i int, v any) []any { r := append([]any(nil), ok...); r[i] = v; return r }
	for _, c := range []struct {
		name   string
		decode func() error
	}{
		{"enqueue: one result short", func() error { _, err := enqueueReply("q", specs, []any{int64(1)}); return err }},
		{"enqueue: result not an array", func() error { _, err := enqueueReply("q", specs, []any{int64(1), "x"}); return err }},
		{"enqueue: state an integer", func() error {
			_, err := enqueueReply("q", specs, []any{int64(1), []any{int64(1), int64(2), int64(3)}})
			return err
		}},
		{"periodic: short", func() error { _, _, err := periodicReply(job.Spec{}, []any{int64(1), int64(1)}); return err }},
		{"periodic: flag as text", func() error { _, _, err := periodicReply(job.Spec{}, []any{int64(1), "1"}); return err }},
		{"list: total as text", func() error { _, _, err := listReply("q", []any{"1"}); return err }},
		{"list: row too short", func() error { _, _, err := listReply("q", []any{int64(1), []any{"j1"}}); return err }},
		{"list: lease an integer", func() error {
			_, _, err := listReply("q", []any{int64(1), []any{"j1", int64(5), "s", "active"}})
			return err
		}},
		{"stats: ten counts", func() error { _, err := statsReply("q", make([]any, 10)); return err }},
		{"exchange: short", func() error { _, err := exchangeReply("q", job.Exchange{}, ok[:6]); return err }},
		{"exchange: more as text", func() error { _, err := exchangeReply("q", job.Exchange{}, with(2, "1")); return err }},
		{"exchange: settles missing", func() error { _, err := exchangeReply("q", settle, ok); return err }},
		{"exchange: expiry row short", func() error {
			_, err := exchangeReply("q", job.Exchange{}, with(5, []any{[]any{"j1"}}))
			return err
		}},
		{"exchange: leased row short", func() error {
			_, err := exchangeReply("q", job.Exchange{}, with(6, []any{row(leasedFields - 1)}))
			return err
		}},
		{"exchange: leased run a word", func() error {
			r := row(leasedFields)
			r[1] = "one"
			_, err := exchangeReply("q", job.Exchange{}, with(6, []any{r}))
			return err
		}},
		{"extend: run missing", func() error { _, err := extendReply([]any{int64(1), "j1"}); return err }},
		{"extend: id an integer", func() error { _, err := extendReply([]any{int64(1), int64(2), "3"}); return err }},
	} {
		if err := c.decode(); !errors.Is(err, reply.ErrBadReply) {
			t.Errorf("%s: err = %v, want reply.ErrBadReply", c.name, err)
		}
	}
}
