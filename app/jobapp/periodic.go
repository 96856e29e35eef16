package jobapp

import (
	"context"
	"fmt"
	"time"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// periodicEntry is a periodic job with its parsed schedule.
type periodicEntry struct {
	job.Periodic
	schedule job.Schedule
}

// schedules validates the periodic jobs and parses their cron expressions.
func (r *Runtime) schedules(list []job.Periodic, cron ports.CronParser) ([]periodicEntry, error) {
	out := make([]periodicEntry, 0, len(list))
	names := map[string]bool{}
	for _, p := range list {
		if err := p.Validate(r.cfg.Defaults); err != nil {
			return nil, err
		}
		if names[p.Name] {
			return nil, fmt.Errorf("%w: periodic job %q registered twice", job.ErrInvalid, p.Name)
		}
		names[p.Name] = true
		if _, ok := r.handlers[p.Job.Type]; !ok {
			return nil, fmt.Errorf("periodic job %q: %w %q", p.Name, job.ErrUnknownType, p.Job.Type)
		}
		if cron == nil {
			return nil, fmt.Errorf("periodic job %q: no cron parser", p.Name)
		}
		s, err := cron.Parse(p.Cron)
		if err != nil {
			return nil, fmt.Errorf("periodic job %q: %w", p.Name, err)
		}
		out = append(out, periodicEntry{Periodic: p, schedule: s})
	}
	return out, nil
}

// scheduler enqueues the job of every periodic schedule at each of its ticks. Every instance does the same;
// the store lets one claim each tick. Ticks missed while the process was busy or down are skipped.
func (r *Runtime) scheduler() {
	next := make([]time.Time, len(r.periodic))
	now := time.Now()
	for i, p := range r.periodic {
		next[i] = p.schedule.Next(now)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		first := time.Time{}
		for _, t := range next {
			if !t.IsZero() && (first.IsZero() || t.Before(first)) {
				first = t
			}
		}
		if first.IsZero() {
			return
		}
		timer.Reset(max(time.Until(first), 0))
		select {
		case <-timer.C:
		case <-r.bgCtx.Done():
			return
		}
		now := time.Now()
		for i, p := range r.periodic {
			if next[i].IsZero() || now.Before(next[i]) {
				continue
			}
			r.tick(p, next[i])
			next[i] = p.schedule.Next(now)
		}
	}
}

// tick enqueues the job of one tick, unless another instance claimed the tick first.
func (r *Runtime) tick(p periodicEntry, at time.Time) {
	sp, err := p.Job.Spec(r.cfg.Defaults)
	if err == nil {
		sp.Periodic, sp.Tick = p.Name, at
		ctx, cancel := context.WithTimeout(r.bgCtx, 5*time.Second)
		_, _, err = r.queue.EnqueuePeriodic(ctx, sp)
		cancel()
	}
	if err != nil && r.bgCtx.Err() == nil {
		r.log.Warn("jobs: periodic tick not enqueued", "periodic", p.Name, "tick", at, "err", err)
	}
}
