package jobapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/statekit/statekit/domain/job"
)

// Config tunes the jobs module: what enqueue fills in, how workers take and run jobs, how long finished
// jobs are kept.
type Config struct {
	// Workers runs the worker runtime in this process (statekit serve; statekit worker always does).
	Workers bool
	// Concurrency is how many handlers this process runs at once.
	Concurrency int
	// Queues are the queues this process works on, with their weights: with several queues ready, a free
	// worker takes from a queue with probability weight/sum, or, with StrictPriority, from the heaviest.
	Queues []QueueWeight
	// StrictPriority always serves the heaviest ready queue first.
	StrictPriority bool
	// Lease is how long a job stays leased to its worker without an extension; the worker extends it every
	// Lease/3 while the handler runs, so a worker that dies loses its jobs to others within Lease.
	Lease time.Duration
	// ShutdownGrace bounds how long a graceful stop waits for running handlers before it returns their jobs
	// to the queue.
	ShutdownGrace time.Duration
	// Defaults fill what an enqueue leaves out.
	Defaults job.Defaults
	// Backoff spaces retries.
	Backoff job.Backoff
	// Retention keeps finished jobs.
	Retention job.Retention
	// CompletedEvents publishes jobs.completed for every completed job (one stream entry each); failures and
	// dead letters are always published.
	CompletedEvents bool
	// Periodic are periodic jobs from configuration, added to those registered in code.
	Periodic []job.Periodic
	// WorkerName names this process's worker in job inspection; empty draws host-pid-random.
	WorkerName string
}

// QueueWeight is a queue a worker serves and its weight.
type QueueWeight struct {
	Name   string
	Weight int
}

// DefaultConfig runs workers with 10 handlers on queue "default", 30 s leases and a 10 s shutdown grace.
func DefaultConfig() Config {
	return Config{
		Workers: true, Concurrency: 10, Queues: []QueueWeight{{Name: "default", Weight: 1}},
		Lease: 30 * time.Second, ShutdownGrace: 10 * time.Second,
		Defaults: job.DefaultDefaults(), Backoff: job.DefaultBackoff(), Retention: job.DefaultRetention(),
		CompletedEvents: true,
	}
}

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 1 || c.Concurrency > 10_000 {
		errs = append(errs, fmt.Errorf("concurrency %d: must be 1-10000", c.Concurrency))
	}
	if len(c.Queues) == 0 {
		errs = append(errs, errors.New("queues: at least one"))
	}
	seen := map[string]bool{}
	for _, q := range c.Queues {
		if err := job.ValidateQueue(q.Name); err != nil {
			errs = append(errs, fmt.Errorf("queues: %w", err))
		}
		if q.Weight < 1 || q.Weight > 1000 {
			errs = append(errs, fmt.Errorf("queue %q: weight %d must be 1-1000", q.Name, q.Weight))
		}
		if seen[q.Name] {
			errs = append(errs, fmt.Errorf("queue %q listed twice", q.Name))
		}
		seen[q.Name] = true
	}
	if c.Lease < 300*time.Millisecond || c.Lease > time.Hour {
		errs = append(errs, fmt.Errorf("lease %s: must be 300ms-1h", c.Lease))
	}
	if c.ShutdownGrace < 0 || c.ShutdownGrace > time.Hour {
		errs = append(errs, fmt.Errorf("shutdown grace %s: must be 0-1h", c.ShutdownGrace))
	}
	errs = append(errs, c.Defaults.Validate(), c.Backoff.Validate(), c.Retention.Validate())
	names := map[string]bool{}
	for _, p := range c.Periodic {
		if names[p.Name] {
			errs = append(errs, fmt.Errorf("periodic %q defined twice", p.Name))
		}
		names[p.Name] = true
	}
	return errors.Join(errs...)
}

// grace is how long past its timeout a run's lease may be extended: time for a handler that honours its
// context to return after the deadline.
func (c Config) grace() time.Duration { return min(c.Lease, 5*time.Second) }

// ParseQueues reads "critical=6,default=3,low" (a missing weight is 1).
func ParseQueues(s string) ([]QueueWeight, error) {
	var out []QueueWeight
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, hasWeight := strings.Cut(part, "=")
		w := 1
		if hasWeight {
			n, err := strconv.Atoi(strings.TrimSpace(weight))
			if err != nil {
				return nil, fmt.Errorf("queue %q: weight %q is not an integer", name, weight)
			}
			w = n
		}
		out = append(out, QueueWeight{Name: strings.TrimSpace(name), Weight: w})
	}
	if len(out) == 0 {
		return nil, errors.New("no queue named")
	}
	return out, nil
}

// periodicJSON is one entry of the STATEKIT_JOBS_PERIODIC form.
type periodicJSON struct {
	Name       string          `json:"name"`
	Cron       string          `json:"cron"`
	Type       string          `json:"type"`
	Queue      string          `json:"queue"`
	Payload    json.RawMessage `json:"payload"`
	Priority   int             `json:"priority"`
	MaxRetries *int            `json:"max_retries"`
	Timeout    string          `json:"timeout"`
}

// ParsePeriodic reads periodic jobs from a JSON array, e.g.
// [{"name":"nightly-report","cron":"0 3 * * *","type":"report.build","queue":"low","payload":{"kind":"daily"}}].
func ParsePeriodic(s string) ([]job.Periodic, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	var in []periodicJSON
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("periodic jobs: %w", err)
	}
	out := make([]job.Periodic, 0, len(in))
	for i, p := range in {
		var timeout time.Duration
		if p.Timeout != "" {
			d, err := time.ParseDuration(p.Timeout)
			if err != nil {
				return nil, fmt.Errorf("periodic job %d: timeout %q: %w", i+1, p.Timeout, err)
			}
			timeout = d
		}
		out = append(out, job.Periodic{Name: p.Name, Cron: p.Cron, Job: job.NewJob{
			Type: p.Type, Queue: p.Queue, Payload: []byte(p.Payload), Priority: p.Priority,
			MaxRetries: p.MaxRetries, Timeout: timeout,
		}})
	}
	return out, nil
}
