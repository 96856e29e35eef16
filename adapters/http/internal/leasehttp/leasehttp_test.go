package leasehttp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var (
	errInvalid = errors.New("invalid")
	terms      = Terms{Invalid: errInvalid, MaxTTL: time.Hour}
)

func TestRead(t *testing.T) {
	valid := func(s string) error {
		if s != "ok" {
			return errInvalid
		}
		return nil
	}
	type body struct {
		N int `json:"n"`
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"n":3}`))
	r.SetPathValue("name", "ok")
	if v, b, err := Read[body](r, "name", valid); v != "ok" || b.N != 3 || err != nil {
		t.Errorf("Read = %q %+v %v", v, b, err)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{"n":3}`))
	r.SetPathValue("name", "bad")
	if _, _, err := Read[body](r, "name", valid); !errors.Is(err, errInvalid) {
		t.Errorf("bad path value: %v", err)
	}
}

func TestDurations(t *testing.T) {
	if ttl, wait, err := terms.Durations(1500, 0); ttl != 1500*time.Millisecond || wait != 0 || err != nil {
		t.Errorf("Durations(1500, 0) = %s %s %v", ttl, wait, err)
	}
	for _, c := range [][2]int64{{-1, 0}, {0, -1}, {3600001, 0}, {0, 3600001}} {
		if _, _, err := terms.Durations(c[0], c[1]); !errors.Is(err, errInvalid) {
			t.Errorf("Durations(%d, %d) = %v, want Invalid", c[0], c[1], err)
		}
	}
}

func TestExtendAndRelease(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	w := httptest.NewRecorder()
	var got time.Duration
	if err := terms.Extend(w, r, 2000, func(_ context.Context, ttl time.Duration) error { got = ttl; return nil }); err != nil {
		t.Fatal(err)
	}
	var view struct {
		TTLMS     int64     `json:"ttl_ms"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if got != 2*time.Second || w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &view) != nil ||
		view.TTLMS != 2000 || view.ExpiresAt.Before(time.Now()) {
		t.Errorf("Extend: ttl %s, %d %s", got, w.Code, w.Body)
	}
	if err := terms.Release(httptest.NewRecorder(), r, 5, func(context.Context) error { return nil }); !errors.Is(err, errInvalid) {
		t.Errorf("release with a ttl_ms: %v", err)
	}
	w = httptest.NewRecorder()
	if err := terms.Release(w, r, 0, func(context.Context) error { return nil }); err != nil || w.Code != http.StatusNoContent {
		t.Errorf("Release: %v %d", err, w.Code)
	}
}
