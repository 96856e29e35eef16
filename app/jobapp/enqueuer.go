package jobapp

import (
	"context"

	"github.com/statekit/statekit/domain/job"
)

// Enqueuer is what a producer does with jobs: hand one or a batch to the workers. *Service satisfies it;
// code that depends on an Enqueuer can be unit-tested with jobtest.Fake, which records what was enqueued and
// runs it through the registered handlers when the test says so.
type Enqueuer interface {
	// Enqueue is Service.Enqueue.
	Enqueue(ctx context.Context, n job.NewJob) (job.Enqueued, error)
	// EnqueueBatch is Service.EnqueueBatch.
	EnqueueBatch(ctx context.Context, jobs []job.NewJob) ([]job.Enqueued, error)
}

var _ Enqueuer = (*Service)(nil)
