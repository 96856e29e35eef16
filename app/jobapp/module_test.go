package jobapp_test

import (
	"context"
	"errors"
	"testing"

	"github.com/golang/mock/gomock"
	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

// digest is a service of another module that enqueues its own job type and provides that type's handler.
type digest struct{ jobs *jobapp.Service }

func (d *digest) handler() ports.JobHandler {
	return ports.JobHandler{Type: "digest.send", Handle: nop}
}

// TestModuleLetsAServiceEnqueueAndHandleItsType: a service that needs the jobs Service can also contribute
// the handler of the type it enqueues (no dependency cycle), and the Service accepts that type.
func TestModuleLetsAServiceEnqueueAndHandleItsType(t *testing.T) {
	q := mocks.NewMockJobQueue(gomock.NewController(t))
	q.EXPECT().Enqueue(gomock.Any(), "default", gomock.Any()).Return([]job.Enqueued{{ID: "j1"}}, nil)
	var d *digest
	app := fx.New(fx.NopLogger,
		fx.Supply(jobapp.DefaultConfig(), fx.Annotate(q, fx.As(new(ports.JobQueue)))),
		jobapp.Module,
		fx.Provide(func(s *jobapp.Service) *digest { return &digest{jobs: s} }),
		contract.Provide(ports.GroupJobHandlers, (*digest).handler),
		fx.Populate(&d),
	)
	if err := app.Err(); err != nil {
		t.Fatalf("build: %v", err)
	}
	if _, err := d.jobs.Enqueue(context.Background(), job.NewJob{Type: "digest.send"}); err != nil {
		t.Errorf("Enqueue(digest.send) = %v, want it accepted", err)
	}
	if _, err := d.jobs.Enqueue(context.Background(), job.NewJob{Type: "other"}); !errors.Is(err, job.ErrUnknownType) {
		t.Errorf("Enqueue(other) = %v, want ErrUnknownType", err)
	}

	// Two modules registering one type stop the build.
	dup := fx.New(fx.NopLogger,
		fx.Supply(jobapp.DefaultConfig(), fx.Annotate(mocks.NewMockJobQueue(gomock.NewController(t)), fx.As(new(ports.JobQueue)))),
		jobapp.Module,
		contract.Supply(ports.GroupJobHandlers, ports.JobHandler{Type: "statekit.echo", Handle: nop}),
	)
	if err := dup.Err(); err == nil {
		t.Error("a second handler of statekit.echo was accepted")
	}
}
