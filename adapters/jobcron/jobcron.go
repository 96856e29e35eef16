// Package jobcron implements ports.CronParser with github.com/robfig/cron/v3, the cron parser asynq's
// scheduler and much of the Go ecosystem use: standard five-field expressions, an optional leading seconds
// field, descriptors (@hourly, @daily, @weekly, @monthly, @yearly) and CRON_TZ= / TZ= time zones.
//
// "@every <duration>" is parsed here instead: robfig counts @every from whenever a process started, so two
// instances would disagree on the ticks and both enqueue; job.Every aligns the ticks to the Unix epoch, so
// every instance computes the same ones and the store lets one claim each.
package jobcron

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/fx"

	"github.com/statekit/statekit/domain/job"
	"github.com/statekit/statekit/ports"
)

// Parser parses cron expressions.
type Parser struct {
	p cron.Parser
}

var _ ports.CronParser = Parser{}

// New returns a parser of five- or six-field (leading seconds) expressions and descriptors.
func New() Parser {
	return Parser{p: cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month |
		cron.Dow | cron.Descriptor)}
}

// Parse implements ports.CronParser; errors wrap job.ErrInvalid.
func (p Parser) Parse(spec string) (job.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < job.MinEvery {
			return nil, fmt.Errorf("%w: cron %q: @every needs a duration of at least %s", job.ErrInvalid, spec, job.MinEvery)
		}
		return job.Every(d), nil
	}
	s, err := p.p.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: cron %q: %w", job.ErrInvalid, spec, err)
	}
	return s, nil
}

// Module provides the parser as ports.CronParser.
var Module = fx.Module("jobcron",
	fx.Provide(func() ports.CronParser { return New() }),
)
