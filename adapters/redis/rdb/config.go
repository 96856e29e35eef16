// Package rdb builds the one redis.UniversalClient the process shares: a single node, a Redis Cluster, or,
// when no URL is configured, an embedded in-process Redis for running on a bare machine.
package rdb

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config says which Redis to use and how to reach it.
type Config struct {
	// URL is empty for the embedded Redis, or one of:
	//   redis://[user:pass@]host:port[/db]          one node
	//   rediss://[user:pass@]host:port[/db]         one node over TLS
	//   redis+cluster://[user:pass@]h1:p1,h2:p2,... a Redis Cluster (rediss+cluster:// for TLS)
	// Query parameters: dial_timeout, read_timeout, write_timeout (durations), pool_size (integer).
	URL string
	// KeyPrefix starts every key statekit writes; letters, digits, '_', '-' and '.' only.
	KeyPrefix string
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)

// Validate reports every problem with the configuration.
func (c Config) Validate() error {
	var errs []error
	if !prefixPattern.MatchString(c.KeyPrefix) {
		errs = append(errs, fmt.Errorf("key prefix %q: must be 1-64 characters of letters, digits, _ - and dots", c.KeyPrefix))
	}
	if c.URL != "" {
		if _, err := c.Options(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Embedded reports whether the configuration asks for the embedded in-process Redis.
func (c Config) Embedded() bool { return c.URL == "" }

// Options parses URL into client options.
func (c Config) Options() (*redis.UniversalOptions, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	opts := &redis.UniversalOptions{}
	cluster := false
	switch u.Scheme {
	case "redis":
	case "rediss":
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: hostOnly(u.Host)}
	case "redis+cluster":
		cluster = true
	case "rediss+cluster":
		cluster = true
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: hostOnly(strings.Split(u.Host, ",")[0])}
	default:
		return nil, fmt.Errorf("redis url: scheme %q: want redis, rediss, redis+cluster or rediss+cluster", u.Scheme)
	}
	for _, addr := range strings.Split(u.Host, ",") {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("redis url: address %q: want host:port", addr)
		}
		opts.Addrs = append(opts.Addrs, addr)
	}
	if len(opts.Addrs) > 1 && !cluster {
		return nil, errors.New("redis url: several addresses need the redis+cluster:// scheme")
	}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("redis url: database %q: want a number", db)
		}
		if cluster && n != 0 {
			return nil, errors.New("redis url: a cluster has only database 0")
		}
		opts.DB = n
	}
	if err := applyQuery(opts, u.Query()); err != nil {
		return nil, err
	}
	if cluster {
		opts.IsClusterMode = true
	}
	return opts, nil
}

func applyQuery(opts *redis.UniversalOptions, q url.Values) error {
	durations := map[string]*time.Duration{
		"dial_timeout": &opts.DialTimeout, "read_timeout": &opts.ReadTimeout, "write_timeout": &opts.WriteTimeout,
	}
	for name, values := range q {
		v := values[len(values)-1]
		if d, ok := durations[name]; ok {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed <= 0 {
				return fmt.Errorf("redis url: %s=%q: want a positive duration such as 2s", name, v)
			}
			*d = parsed
			continue
		}
		if name == "pool_size" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("redis url: pool_size=%q: want a positive integer", v)
			}
			opts.PoolSize = n
			continue
		}
		return fmt.Errorf("redis url: unknown parameter %q", name)
	}
	return nil
}

func hostOnly(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return host
}
