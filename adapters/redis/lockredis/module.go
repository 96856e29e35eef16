package lockredis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/ports"
)

// Module provides the Redis lock store as ports.FencedStore and, unless Config.RedlockURLs names independent
// masters (then a Redlock over them), as ports.Locker. It needs the shared client and a lockredis.Config; an
// optional ports.Clock switches its scripts to simulated time. The wake-up subscriptions and the Redlock
// masters' clients are closed when the app stops.
var Module = fx.Module("lockredis",
	fx.Provide(
		fx.Annotate(newStore, fx.ParamTags(``, ``, ``, `optional:"true"`)),
		func(s *Store) ports.FencedStore { return s },
		fx.Annotate(newLocker, fx.ParamTags(``, ``, ``, `optional:"true"`)),
	),
)

func newStore(lc fx.Lifecycle, c redis.UniversalClient, cfg Config, clock ports.Clock) (*Store, error) {
	s, err := New(c, cfg, clock)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(s.Close))
	return s, nil
}

func newLocker(lc fx.Lifecycle, cfg Config, s *Store, clock ports.Clock) (ports.Locker, error) {
	if len(cfg.RedlockURLs) == 0 {
		return s, nil
	}
	r, clients, err := OpenRedlock(cfg, clock)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(func(context.Context) error {
		errs := []error{r.Close()}
		for _, c := range clients {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}))
	return r, nil
}

// OpenRedlock connects to each of cfg.RedlockURLs (one client per master, failing fast: no retries, short
// dial timeout) and returns a Redlock over them with the clients, which the caller closes.
func OpenRedlock(cfg Config, clock ports.Clock) (*Redlock, []redis.UniversalClient, error) {
	var (
		clients []redis.UniversalClient
		masters []*Store
	)
	fail := func(err error) (*Redlock, []redis.UniversalClient, error) {
		for _, c := range clients {
			_ = c.Close()
		}
		return nil, nil, err
	}
	for _, u := range cfg.RedlockURLs {
		opts, err := redlockOptions(u)
		if err != nil {
			return fail(err)
		}
		c := redis.NewUniversalClient(opts)
		clients = append(clients, c)
		one := cfg
		one.RedlockURLs = nil
		m, err := New(c, one, clock)
		if err != nil {
			return fail(err)
		}
		masters = append(masters, m)
	}
	r, err := NewRedlock(masters, DefaultDriftFactor)
	if err != nil {
		return fail(err)
	}
	return r, clients, nil
}

// redlockOptions parses one master's URL: a single node (redis:// or rediss://), never a cluster.
func redlockOptions(u string) (*redis.UniversalOptions, error) {
	if strings.Contains(u, "+cluster") {
		return nil, fmt.Errorf("redlock master %q: want a single node (redis:// or rediss://), not a cluster", u)
	}
	opts, err := rdb.Config{URL: u, KeyPrefix: "x"}.Options()
	if err != nil {
		return nil, fmt.Errorf("redlock master: %w", err)
	}
	// A master that does not answer at once counts as down; the quorum decides, so no retries.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 250 * time.Millisecond
	}
	return opts, nil
}
