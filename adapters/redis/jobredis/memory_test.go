package jobredis_test

import (
	"fmt"
	"testing"

	"github.com/statekit/statekit/adapters/redis/jobredis"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/tests/harness"
)

// TestMemoryPerPendingJob logs what a pending job costs in Redis (MEMORY USAGE of its hash plus its share of
// the ready list). It is a figure for the docs, not a performance assertion: only sanity is checked. The
// benchmark reports the same figure next to asynq's, from an INFO used_memory delta.
func TestMemoryPerPendingJob(t *testing.T) {
	t.Parallel()
	harness.Each(t, func(t *testing.T, tg harness.Target) {
		const jobs = 2000
		e := newEnv(t, tg)
		specs := make([]job.Spec, jobs)
		for i := range specs {
			specs[i] = e.spec(t, "mail.send", func(n *job.NewJob) { n.Payload = fmt.Appendf(nil, `{"i":%d}`, i) })
		}
		for i := 0; i < jobs; i += 500 {
			e.enqueue(t, specs[i:i+500]...)
		}
		var hashBytes int64
		for _, sp := range specs {
			n, err := tg.Client.MemoryUsage(e.ctx, jobredis.JobKey(tg.Prefix, e.q, sp.ID), 0).Result()
			if err != nil {
				t.Fatal(err)
			}
			hashBytes += n
		}
		list, err := tg.Client.MemoryUsage(e.ctx, jobredis.ReadyKey(tg.Prefix, e.q, 0), 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		enc, _ := tg.Client.ObjectEncoding(e.ctx, jobredis.JobKey(tg.Prefix, e.q, specs[0].ID)).Result()
		hash, share := hashBytes/jobs, list/jobs
		t.Logf("bytes per pending job: hash=%d (%s) ready-list share=%d total=%d (cluster=%t)", hash, enc, share, hash+share, tg.Cluster)
		if hash <= 0 || share <= 0 {
			t.Errorf("bytes per job: hash=%d list=%d, want both > 0", hash, share)
		}
	})
}
