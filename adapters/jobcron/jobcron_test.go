package jobcron_test

import (
	"errors"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/jobcron"
	"github.com/statekit/statekit/domain/job"
)

func TestParse(t *testing.T) {
	t.Parallel()
	p := jobcron.New()
	at := time.Date(2030, 5, 6, 7, 8, 9, 500_000_000, time.UTC)
	tests := []struct {
		spec string
		want time.Time
	}{
		{"*/5 * * * *", time.Date(2030, 5, 6, 7, 10, 0, 0, time.UTC)},
		{"0 3 * * *", time.Date(2030, 5, 7, 3, 0, 0, 0, time.UTC)},
		{"*/15 * * * * *", time.Date(2030, 5, 6, 7, 8, 15, 0, time.UTC)},
		{"@hourly", time.Date(2030, 5, 6, 8, 0, 0, 0, time.UTC)},
		{"@daily", time.Date(2030, 5, 7, 0, 0, 0, 0, time.UTC)},
		{"@every 1m", time.Date(2030, 5, 6, 7, 9, 0, 0, time.UTC)},
		{"@every 250ms", time.Date(2030, 5, 6, 7, 8, 9, 750_000_000, time.UTC)},
		{"  @every 2h ", time.Date(2030, 5, 6, 8, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s, err := p.Parse(tt.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.spec, err)
			continue
		}
		if got := s.Next(at); !got.Equal(tt.want) {
			t.Errorf("Parse(%q).Next(%s) = %s, want %s", tt.spec, at, got, tt.want)
		}
	}
}

// TestEveryIsAligned: two instances started at different times compute the same ticks, which robfig's own
// @every (counted from the call) does not.
func TestEveryIsAligned(t *testing.T) {
	t.Parallel()
	s, err := jobcron.New().Parse("@every 10s")
	if err != nil {
		t.Fatal(err)
	}
	a := time.Date(2030, 1, 1, 0, 0, 1, 0, time.UTC)
	b := a.Add(3700 * time.Millisecond)
	if na, nb := s.Next(a), s.Next(b); !na.Equal(nb) || na.Second() != 10 {
		t.Errorf("Next from two start times = %s, %s; want both at :10", na, nb)
	}
	if got := s.Next(time.Date(2030, 1, 1, 0, 0, 10, 0, time.UTC)); got.Second() != 20 {
		t.Errorf("Next at a tick = %s, want the following tick", got)
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	p := jobcron.New()
	for _, spec := range []string{"", "* * *", "61 * * * *", "@every", "@every soon", "@every 10ms", "@every -1s",
		"@fortnightly", "* * * * * * *", "CRON_TZ=Mars/Base * * * * *"} {
		if _, err := p.Parse(spec); !errors.Is(err, job.ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", spec, err)
		}
	}
}
