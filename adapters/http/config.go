// Package httpapi is the HTTP driving adapter: the server, its middleware (request id, access log, metrics,
// panic recovery, body limit, authentication), problem+json errors, health and readiness, metrics and the
// OpenAPI document. Modules add their routes, problem rows, OpenAPI fragments and readiness checks through
// the value groups named in ports.
package httpapi

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/ports"
)

// Config tunes the HTTP server.
type Config struct {
	// Addr is the listen address, e.g. ":8080" or "127.0.0.1:0".
	Addr string
	// MaxBodyBytes bounds every request body.
	MaxBodyBytes int64
	// ReadTimeout and WriteTimeout bound one request.
	ReadTimeout, WriteTimeout time.Duration
	// ShutdownTimeout bounds the drain of requests in flight at shutdown.
	ShutdownTimeout time.Duration
	// CookieSecure marks the session cookie Secure (send only over HTTPS); turn off only for local HTTP.
	CookieSecure bool
	// APIKeys are the service keys accepted in the X-API-Key header.
	APIKeys []APIKey
	// TrustedProxies are the reverse proxies (addresses and prefixes) whose X-Forwarded-For names the
	// client; requests from them are attributed to the client for rate limits, sessions and logs.
	TrustedProxies []netip.Prefix
}

// DefaultConfig listens on :8080 with a 1 MiB body limit.
func DefaultConfig() Config {
	return Config{Addr: ":8080", MaxBodyBytes: 1 << 20, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, ShutdownTimeout: 10 * time.Second, CookieSecure: true}
}

// Validate reports every problem with the config.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("http addr %q: want host:port", c.Addr))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("max body bytes %d: must be at least 1024", c.MaxBodyBytes))
	}
	if c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("http timeouts must be positive"))
	}
	return errors.Join(errs...)
}

// APIKey is a service credential: a name for logs, the secret's SHA-256, and its scopes.
type APIKey struct {
	Name   string
	Hash   [32]byte
	Scopes []auth.Scope
}

var (
	keyName   = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
	scopeName = regexp.MustCompile(`^[a-z0-9_.\-]{1,32}$`)
)

// MinSecretLen is the shortest API key secret accepted.
const MinSecretLen = 24

// ParseAPIKeys reads the STATEKIT_API_KEYS form: comma-separated entries "name:secret:scope+scope", e.g.
// "ops:4f9c...:admin,shop:d81e...:sessions". Secrets are at least 24 characters; scopes are well formed
// (CheckScopes compares them with the scopes the modules contribute); names and secrets are unique.
func ParseAPIKeys(s string) ([]APIKey, error) {
	var keys []APIKey
	seen := map[[32]byte]bool{}
	names := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 3 {
			return nil, fmt.Errorf("api key %d: want name:secret:scopes", i+1)
		}
		name, secret, scopes := parts[0], parts[1], parts[2]
		if !keyName.MatchString(name) {
			return nil, fmt.Errorf("api key %d: name %q: 1-64 letters, digits, _ . -", i+1, name)
		}
		if len(secret) < MinSecretLen {
			return nil, fmt.Errorf("api key %q: secret must be at least %d characters", name, MinSecretLen)
		}
		k := APIKey{Name: name, Hash: sha256.Sum256([]byte(secret))}
		for _, sc := range strings.Split(scopes, "+") {
			if !scopeName.MatchString(sc) {
				return nil, fmt.Errorf("api key %q: scope %q: want 1-32 lower-case letters, digits, _ . -", name, sc)
			}
			k.Scopes = append(k.Scopes, auth.Scope(sc))
		}
		if seen[k.Hash] || names[name] {
			return nil, fmt.Errorf("api key %q: name or secret used twice", name)
		}
		seen[k.Hash], names[name] = true, true
		keys = append(keys, k)
	}
	return keys, nil
}

// CheckScopes reports every scope of keys that is neither admin nor one of known (the scopes the modules
// contribute).
func CheckScopes(keys []APIKey, known []ports.ScopeInfo) error {
	names := []auth.Scope{auth.ScopeAdmin}
	for _, k := range known {
		names = append(names, k.Scope)
	}
	var errs []error
	for _, k := range keys {
		for _, sc := range k.Scopes {
			if !slices.Contains(names, sc) {
				errs = append(errs, fmt.Errorf("api key %q: unknown scope %q (known: %v)", k.Name, sc, names))
			}
		}
	}
	return errors.Join(errs...)
}
