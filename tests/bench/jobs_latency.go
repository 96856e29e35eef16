package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/app/jobapp"
	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// The latency and memory halves of the jobs scenarios (see jobs.go).

// jobsPickup measures enqueue -> handler start with idle workers, alternating statekit and asynq (with the
// given TaskCheckInterval, 0 for its default), and returns the medians over rounds of p50 and p99 in µs.
func jobsPickup(ctx context.Context, srv *Server, c redis.UniversalClient, interval time.Duration) (o50, o99, p50, p99 float64, err error) {
	var a50, a99, b50, b99 []float64
	for range Rounds {
		if err := srv.Flush(); err != nil {
			return 0, 0, 0, 0, err
		}
		lat, err := jobsPickupOurs(ctx, c)
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("statekit: %w", err)
		}
		a50, a99 = append(a50, Percentile(lat, 0.5)), append(a99, Percentile(lat, 0.99))
		if err := srv.Flush(); err != nil {
			return 0, 0, 0, 0, err
		}
		lat, err = jobsPickupPeer(c, interval)
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("asynq: %w", err)
		}
		b50, b99 = append(b50, Percentile(lat, 0.5)), append(b99, Percentile(lat, 0.99))
	}
	return Median(a50), Median(a99), Median(b50), Median(b99), nil
}

// jobsLatencies collects one pickup latency per job (the payload carries the enqueue time).
type jobsLatencies struct {
	mu   sync.Mutex
	lat  []time.Duration
	n    int
	done chan struct{}
}

func (l *jobsLatencies) ran(payload []byte) {
	now := time.Now()
	var p struct {
		At int64 `json:"at"`
	}
	_ = json.Unmarshal(payload, &p)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lat = append(l.lat, now.Sub(time.Unix(0, p.At)))
	if len(l.lat) == l.n {
		close(l.done)
	}
}

func (l *jobsLatencies) wait(timeout time.Duration) ([]time.Duration, error) {
	select {
	case <-l.done:
		return l.lat, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("only %d of %d pickups happened", len(l.lat), l.n)
	}
}

func jobsAt() []byte { return []byte(`{"at":` + strconv.FormatInt(time.Now().UnixNano(), 10) + `}`) }

func jobsPickupOurs(ctx context.Context, c redis.UniversalClient) ([]time.Duration, error) {
	lat := &jobsLatencies{n: jobsPickupN, done: make(chan struct{})}
	handler := ports.JobHandler{Type: jobsType, Handle: func(_ context.Context, j job.Job) ([]byte, error) {
		lat.ran(j.Payload)
		return nil, nil
	}}
	svc, store, err := jobsService(c, handler)
	if err != nil {
		return nil, err
	}
	rt, err := jobapp.NewRuntime(jobsConfig(false), store, store, &jobsNopPublisher{}, nil, jobcron.New(),
		slog.New(slog.DiscardHandler), []ports.JobHandler{handler}, nil)
	if err != nil {
		return nil, err
	}
	if err := rt.Start(ctx); err != nil {
		return nil, err
	}
	defer func() { _ = rt.Stop(ctx) }()
	time.Sleep(100 * time.Millisecond) // let the workers go idle
	for range jobsPickupN {
		if _, err := svc.Enqueue(ctx, job.NewJob{Type: jobsType, Payload: jobsAt()}); err != nil {
			return nil, err
		}
		time.Sleep(jobsPickupGap)
	}
	return lat.wait(10 * time.Second)
}

func jobsPickupPeer(c redis.UniversalClient, interval time.Duration) ([]time.Duration, error) {
	lat := &jobsLatencies{n: jobsPickupN, done: make(chan struct{})}
	srv := asynq.NewServerFromRedisClient(c, asynq.Config{
		Concurrency: jobsConc, Queues: map[string]int{jobsQueue: 1}, TaskCheckInterval: interval,
		Logger: jobsQuietLogger{}, LogLevel: asynq.FatalLevel,
	})
	if err := srv.Start(asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		lat.ran(t.Payload())
		return nil
	})); err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	client := asynq.NewClientFromRedisClient(c)
	time.Sleep(100 * time.Millisecond)
	for range jobsPickupN {
		if _, err := client.Enqueue(asynq.NewTask(jobsType, jobsAt()), asynq.Queue(jobsQueue)); err != nil {
			return nil, err
		}
		time.Sleep(jobsPickupGap)
	}
	return lat.wait(10 * time.Second)
}

// jobsMemory enqueues 10,000 pending jobs on each side and returns the INFO used_memory delta per job.
func jobsMemory(ctx context.Context, srv *Server, c redis.UniversalClient) (float64, float64, error) {
	measure := func(enqueue func(i int) error) (float64, error) {
		if err := srv.Flush(); err != nil {
			return 0, err
		}
		before, err := srv.UsedMemory()
		if err != nil {
			return 0, err
		}
		for i := range jobsMemN {
			if err := enqueue(i); err != nil {
				return 0, err
			}
		}
		after, err := srv.UsedMemory()
		if err != nil {
			return 0, err
		}
		return float64(after-before) / jobsMemN, nil
	}
	svc, _, err := jobsService(c, ports.JobHandler{Type: jobsType, Handle: jobsNop})
	if err != nil {
		return 0, 0, err
	}
	ours, err := measure(func(i int) error {
		_, err := svc.Enqueue(ctx, job.NewJob{Type: jobsType, Payload: jobsPayload(i)})
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	client := asynq.NewClientFromRedisClient(c)
	peer, err := measure(func(i int) error {
		_, err := client.Enqueue(asynq.NewTask(jobsType, jobsPayload(i)), asynq.Queue(jobsQueue))
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if ours <= 0 || peer <= 0 {
		return 0, 0, errors.New("memory delta not positive")
	}
	return ours, peer, nil
}
