package rdb

import (
	"strings"
	"testing"
	"time"
)

func TestOptions(t *testing.T) {
	tests := []struct {
		url      string
		addrs    []string
		cluster  bool
		tls      bool
		user     string
		password string
		db       int
		dial     time.Duration
		pool     int
	}{
		{url: "redis://localhost:6379", addrs: []string{"localhost:6379"}},
		{url: "redis://u:p@10.0.0.1:6380/3", addrs: []string{"10.0.0.1:6380"}, user: "u", password: "p", db: 3},
		{url: "rediss://cache.example:6380", addrs: []string{"cache.example:6380"}, tls: true},
		{url: "redis+cluster://h1:7000,h2:7001,h3:7002", addrs: []string{"h1:7000", "h2:7001", "h3:7002"}, cluster: true},
		{url: "rediss+cluster://:secret@h1:7000,h2:7001", addrs: []string{"h1:7000", "h2:7001"}, cluster: true, tls: true, password: "secret"},
		{url: "redis://h:1?dial_timeout=2s&pool_size=50", addrs: []string{"h:1"}, dial: 2 * time.Second, pool: 50},
		{url: "redis+cluster://only:7000", addrs: []string{"only:7000"}, cluster: true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			cfg := Config{URL: tc.url, KeyPrefix: "statekit"}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			o, err := cfg.Options()
			if err != nil {
				t.Fatalf("Options() = %v", err)
			}
			if strings.Join(o.Addrs, ",") != strings.Join(tc.addrs, ",") {
				t.Errorf("Addrs = %v, want %v", o.Addrs, tc.addrs)
			}
			if o.IsClusterMode != tc.cluster {
				t.Errorf("cluster = %v, want %v", o.IsClusterMode, tc.cluster)
			}
			if (o.TLSConfig != nil) != tc.tls {
				t.Errorf("TLS = %v, want %v", o.TLSConfig != nil, tc.tls)
			}
			if o.Username != tc.user || o.Password != tc.password || o.DB != tc.db {
				t.Errorf("user/password/db = %q/%q/%d, want %q/%q/%d", o.Username, o.Password, o.DB, tc.user, tc.password, tc.db)
			}
			if o.DialTimeout != tc.dial || o.PoolSize != tc.pool {
				t.Errorf("dial/pool = %v/%d, want %v/%d", o.DialTimeout, o.PoolSize, tc.dial, tc.pool)
			}
		})
	}
}

func TestOptionsRejects(t *testing.T) {
	for _, url := range []string{
		"http://localhost:6379",
		"redis://localhost",
		"redis://h1:1,h2:2",
		"redis://h:1/notanumber",
		"redis+cluster://h:1/2",
		"redis://h:1?dial_timeout=soon",
		"redis://h:1?pool_size=0",
		"redis://h:1?colour=blue",
		"::::",
	} {
		if err := (Config{URL: url, KeyPrefix: "statekit"}).Validate(); err == nil {
			t.Errorf("Validate(%q) = nil, want an error", url)
		}
	}
}

func TestKeyPrefix(t *testing.T) {
	for _, p := range []string{"", "a:b", "{tag}", "a*", "with space", strings.Repeat("x", 65)} {
		if err := (Config{KeyPrefix: p}).Validate(); err == nil {
			t.Errorf("prefix %q accepted, want an error", p)
		}
	}
	for _, p := range []string{"statekit", "acme-prod.v2", "A_1"} {
		if err := (Config{KeyPrefix: p}).Validate(); err != nil {
			t.Errorf("prefix %q: %v", p, err)
		}
	}
}
