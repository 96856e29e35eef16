package component

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statekit/statekit/adapters/redis/flagredis"
	"github.com/statekit/statekit/domain/flag"
	"github.com/statekit/statekit/tests/harness"
	"github.com/statekit/statekit/tests/testapp"
)

// adminCreds is the admin key (admin implies the flags and activity scopes).
func adminCreds() testapp.Creds { return testapp.Creds{APIKey: testapp.AdminKey} }

// flagDoc is a flag as the API shows it.
type flagDoc struct {
	Key            string           `json:"key"`
	Type           string           `json:"type"`
	Enabled        bool             `json:"enabled"`
	DefaultVariant string           `json:"default_variant"`
	Rules          []map[string]any `json:"rules"`
	Version        int64            `json:"version"`
	UpdatedBy      string           `json:"updated_by"`
}

// evaluation is the answer of an evaluate endpoint.
type evaluation struct {
	UserID  string `json:"user_id"`
	Version int64  `json:"version"`
	Flags   map[string]struct {
		Variant string `json:"variant"`
		On      bool   `json:"on"`
		Reason  string `json:"reason"`
		Rule    *int   `json:"rule"`
	} `json:"flags"`
}

// rolloutBody is a boolean flag on for percent of users, off for everyone else, with staff always on.
func rolloutBody(percent float64) map[string]any {
	return map[string]any{
		"type": "boolean", "enabled": true, "default_variant": "off",
		"rules": []any{
			map[string]any{"name": "staff", "conditions": []any{map[string]any{"attribute": "team", "op": "equals", "value": "staff"}}, "variant": "on"},
			map[string]any{"name": "share", "conditions": []any{map[string]any{"op": "percentage", "percent": percent}}, "variant": "on"},
		},
	}
}

// evaluateAs asks the service endpoint to evaluate every flag for user on app a.
func (a *app) evaluateAs(user string, attrs map[string]string) evaluation {
	a.T.Helper()
	var out evaluation
	a.Do("POST", "/v1/users/"+user+"/flags/evaluate", adminCreds(), map[string]any{"attributes": attrs}).
		Expect(a.T, "evaluate for "+user, http.StatusOK, &out)
	return out
}

// TestFlagsOverHTTP walks a flag's life through the admin API and evaluates it as a service and as a
// session holder; the audit consumer group records every change and evaluation counts reach Redis.
func TestFlagsOverHTTP(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	vars := env(tg)
	vars["STATEKIT_FLAGS_FLUSH_INTERVAL"] = "100ms"
	a := start(t, vars, tg.Client)

	var f flagDoc
	r := a.Do("PUT", "/v1/flags/new-checkout", adminCreds(), rolloutBody(0))
	r.Expect(t, "create", http.StatusCreated, &f)
	if f.Key != "new-checkout" || f.Version != 1 || f.UpdatedBy != "ops" || r.Header.Get("ETag") != `"1"` ||
		r.Header.Get("Location") != "/v1/flags/new-checkout" {
		t.Fatalf("created %+v, ETag %q", f, r.Header.Get("ETag"))
	}
	a.Do("GET", "/v1/flags/new-checkout", adminCreds(), nil).Expect(t, "get", http.StatusOK, &f)
	var list struct {
		Version int64     `json:"version"`
		Flags   []flagDoc `json:"flags"`
	}
	a.Do("GET", "/v1/flags", adminCreds(), nil).Expect(t, "list", http.StatusOK, &list)
	if list.Version != 1 || len(list.Flags) != 1 {
		t.Errorf("list = %+v", list)
	}

	// 0%: only staff; a signed-in user evaluates for itself.
	if e := a.evaluateAs("user-1", nil); e.Flags["new-checkout"].On || e.Flags["new-checkout"].Reason != "default" || e.Version != 1 {
		t.Errorf("user-1 at 0%% = %+v", e)
	}
	if e := a.evaluateAs("user-1", map[string]string{"team": "staff"}); !e.Flags["new-checkout"].On || *e.Flags["new-checkout"].Rule != 0 {
		t.Errorf("staff at 0%% = %+v", e)
	}
	s := a.create("user-2", nil)
	var mine evaluation
	a.Do("POST", "/v1/flags/evaluate", bearer(s.Token), map[string]any{"keys": []string{"new-checkout", "unknown"}}).
		Expect(t, "holder evaluates", http.StatusOK, &mine)
	if mine.UserID != "user-2" || mine.Flags["new-checkout"].Reason != "default" || mine.Flags["unknown"].Reason != "not_found" {
		t.Errorf("holder evaluation = %+v", mine)
	}

	// Raise to 100% conditionally, then a stale conditional write is refused.
	a.Do("PUT", "/v1/flags/new-checkout", testapp.Creds{APIKey: testapp.AdminKey, RequestID: "req-flags-0001"}, rolloutBody(100)).
		Expect(t, "raise", http.StatusOK, &f)
	if f.Version != 2 {
		t.Fatalf("raised flag at version %d", f.Version)
	}
	req := rolloutBody(50)
	stale := a.doWithHeaders("PUT", "/v1/flags/new-checkout", map[string]string{"X-API-Key": testapp.AdminKey, "If-Match": `"1"`}, req)
	stale.ExpectProblem(t, "stale If-Match", http.StatusPreconditionFailed, "flag-version-conflict")
	a.doWithHeaders("PUT", "/v1/flags/new-checkout", map[string]string{"X-API-Key": testapp.AdminKey, "If-None-Match": "*"}, req).
		ExpectProblem(t, "If-None-Match on an existing flag", http.StatusPreconditionFailed, "flag-version-conflict")
	if e := a.evaluateAs("user-1", nil); !e.Flags["new-checkout"].On || e.Version != 2 {
		t.Errorf("user-1 at 100%% = %+v", e)
	}

	// The kill switch.
	a.Do("PUT", "/v1/flags/new-checkout/enabled", adminCreds(), map[string]any{"enabled": false}).Expect(t, "kill", http.StatusOK, &f)
	if f.Enabled || f.Version != 3 {
		t.Errorf("killed flag = %+v", f)
	}
	if e := a.evaluateAs("user-1", map[string]string{"team": "staff"}); e.Flags["new-checkout"].On || e.Flags["new-checkout"].Reason != "off" {
		t.Errorf("killed flag evaluates %+v", e)
	}

	// The audit trail: every change once, newest first, with who and before/after.
	var trail struct {
		Entries []struct {
			Change  string   `json:"change"`
			Version int64    `json:"version"`
			Actor   string   `json:"actor"`
			Before  *flagDoc `json:"before"`
			After   *flagDoc `json:"after"`
		} `json:"entries"`
	}
	eventually(t, 10*time.Second, "audit trail of 3 changes", func() bool {
		a.Do("GET", "/v1/flags/new-checkout/audit", adminCreds(), nil).Expect(t, "audit", http.StatusOK, &trail)
		return len(trail.Entries) >= 3
	})
	if len(trail.Entries) != 3 || trail.Entries[0].Change != "disabled" || trail.Entries[1].Change != "updated" ||
		trail.Entries[2].Change != "created" || trail.Entries[0].Actor != "ops" || !trail.Entries[0].Before.Enabled ||
		trail.Entries[0].After.Enabled || trail.Entries[2].Before != nil {
		t.Errorf("audit trail = %+v", trail.Entries)
	}
	var page struct {
		Entries    []map[string]any `json:"entries"`
		NextBefore int64            `json:"next_before"`
	}
	a.Do("GET", "/v1/flags/new-checkout/audit?limit=2", adminCreds(), nil).Expect(t, "audit page 1", http.StatusOK, &page)
	if len(page.Entries) != 2 || page.NextBefore != 2 {
		t.Errorf("audit page 1 = %d entries, next %d", len(page.Entries), page.NextBefore)
	}
	a.Do("GET", "/v1/flags/new-checkout/audit?limit=2&before=2", adminCreds(), nil).Expect(t, "audit page 2", http.StatusOK, &page)
	if len(page.Entries) != 1 || page.NextBefore != 0 {
		t.Errorf("audit page 2 = %d entries, next %d", len(page.Entries), page.NextBefore)
	}

	// Evaluation counts, flushed every 100 ms: 2 off and 1 on before the kill, 1 off after, the holder's 1.
	var counts struct {
		Counts map[string]int64 `json:"counts"`
	}
	eventually(t, 10*time.Second, "evaluation counts", func() bool {
		a.Do("GET", "/v1/flags/new-checkout/counts", adminCreds(), nil).Expect(t, "counts", http.StatusOK, &counts)
		return counts.Counts["on"]+counts.Counts["off"] >= 5
	})
	if want := map[string]int64{"on": 2, "off": 3}; !maps.Equal(counts.Counts, want) {
		t.Errorf("counts = %v, want %v", counts.Counts, want)
	}

	// Deleting: gone from the snapshot too; the sessions key may do none of this.
	a.Do("DELETE", "/v1/flags/new-checkout", adminCreds(), nil).Expect(t, "delete", http.StatusNoContent, nil)
	a.Do("GET", "/v1/flags/new-checkout", adminCreds(), nil).ExpectProblem(t, "get deleted", http.StatusNotFound, "flag-not-found")
	if e := a.evaluateAs("user-1", nil); len(e.Flags) != 0 {
		t.Errorf("after delete: %+v", e)
	}
	for _, path := range []string{"/v1/flags", "/v1/flags/x", "/v1/flags/x/audit"} {
		a.Do("GET", path, serviceCreds(), nil).ExpectProblem(t, "sessions key on "+path, http.StatusForbidden, "forbidden")
	}
	a.Do("POST", "/v1/users/u/flags/evaluate", serviceCreds(), map[string]any{}).ExpectProblem(t, "sessions key evaluates", http.StatusForbidden, "forbidden")
	a.Do("POST", "/v1/flags/evaluate", adminCreds(), map[string]any{}).ExpectProblem(t, "service key on the holder route", http.StatusForbidden, "forbidden")
}

// doWithHeaders sends a JSON body with raw headers (for If-Match and friends).
func (a *app) doWithHeaders(method, path string, headers map[string]string, body any) testapp.Response {
	a.T.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		a.T.Fatal(err)
	}
	req, err := http.NewRequest(method, a.Base+path, bytes.NewReader(raw))
	if err != nil {
		a.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		a.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		a.T.Fatal(err)
	}
	return testapp.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// TestFlagToggleReachesOtherInstance runs two instances on one Redis with the periodic version check
// effectively off: a change made through instance A shows in instance B's local evaluations once B handles
// the flags.toggled event.
func TestFlagToggleReachesOtherInstance(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	vars := env(tg)
	vars["STATEKIT_FLAGS_SYNC_INTERVAL"] = "1h"
	a := start(t, vars, tg.Client)
	a.Do("PUT", "/v1/flags/search", adminCreds(), rolloutBody(100)).Expect(t, "create on A", http.StatusCreated, nil)
	b := start(t, vars, tg.Client)
	if !b.evaluateAs("user-1", nil).Flags["search"].On {
		t.Fatal("B did not load the flag at start")
	}

	// B's fan-out reader starts at the stream's end a moment after B starts; changes made before it reads
	// are B's version check's job. Nudge until B follows a change, which proves its reader is live.
	nudge := 0
	eventually(t, 15*time.Second, "B follows A's changes", func() bool {
		nudge++
		r := a.Do("PUT", "/v1/flags/warm-up", adminCreds(), rolloutBody(float64(nudge)))
		var f flagDoc
		if r.Status != http.StatusOK {
			r.Expect(t, "nudge", http.StatusCreated, &f)
		} else {
			r.Expect(t, "nudge", http.StatusOK, &f)
		}
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			if b.evaluateAs("user-1", nil).Version == f.Version {
				return true
			}
			time.Sleep(20 * time.Millisecond)
		}
		return false
	})

	a.Do("PUT", "/v1/flags/search/enabled", adminCreds(), map[string]any{"enabled": false}).Expect(t, "kill on A", http.StatusOK, nil)
	eventually(t, 10*time.Second, "B serves the kill switch", func() bool {
		return b.evaluateAs("user-1", nil).Flags["search"].Reason == "off"
	})
	// And back, from B this time, seen by A.
	b.Do("PUT", "/v1/flags/search/enabled", adminCreds(), map[string]any{"enabled": true}).Expect(t, "revive on B", http.StatusOK, nil)
	eventually(t, 10*time.Second, "A serves the revived flag", func() bool {
		return a.evaluateAs("user-1", nil).Flags["search"].On
	})
	// Two instances share the audit consumer group: each change is recorded once.
	var trail struct {
		Entries []struct{ Version int64 } `json:"entries"`
	}
	eventually(t, 10*time.Second, "audit of search's 3 changes", func() bool {
		b.Do("GET", "/v1/flags/search/audit", adminCreds(), nil).Expect(t, "audit", http.StatusOK, &trail)
		return len(trail.Entries) >= 3
	})
	if len(trail.Entries) != 3 {
		t.Errorf("audit has %d entries for 3 changes", len(trail.Entries))
	}
}

// TestFlagMissedEventCaughtByVersionCheck changes a flag behind the bus's back (no flags.toggled): the
// instance's periodic version check finds the new version and refreshes its snapshot.
func TestFlagMissedEventCaughtByVersionCheck(t *testing.T) {
	t.Parallel()
	tg := harness.Standalone(t)
	vars := env(tg)
	vars["STATEKIT_FLAGS_SYNC_INTERVAL"] = "100ms"
	a := start(t, vars, tg.Client)
	if e := a.evaluateAs("user-1", nil); len(e.Flags) != 0 {
		t.Fatalf("fresh instance knows flags: %+v", e)
	}
	store := flagredis.New(tg.Client, tg.Prefix, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := 100.0
	if _, err := store.Put(ctx, flag.Flag{Key: "quiet", Type: flag.TypeBoolean, Enabled: true,
		Rules: []flag.Rule{{Conditions: []flag.Condition{{Op: flag.OpPercentage, Percent: &p}}}}}, 0, "script"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "version check picks up the silent change", func() bool {
		return a.evaluateAs("user-1", nil).Flags["quiet"].On
	})
}

// TestFlagBadInput sends the flag endpoints malformed rules, absurd percentages, bad keys and bad
// parameters: each is a 4xx problem and nothing in Redis changes.
func TestFlagBadInput(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	a.Do("PUT", "/v1/flags/existing", adminCreds(), rolloutBody(10)).Expect(t, "seed flag", http.StatusCreated, nil)
	s := a.create("nina", nil)
	eventually(t, 10*time.Second, "audit of the seed flag", func() bool { // so the snapshot below is settled
		var trail struct{ Entries []any }
		a.Do("GET", "/v1/flags/existing/audit", adminCreds(), nil).Expect(t, "audit", http.StatusOK, &trail)
		return len(trail.Entries) == 1
	})
	before := flagKeys(a.snapshot())

	cond := func(c map[string]any) map[string]any {
		return map[string]any{"type": "boolean", "enabled": true, "rules": []any{map[string]any{"conditions": []any{c}}}}
	}
	admin := adminCreds()
	cases := []badCase{
		{"malformed JSON", "PUT", "/v1/flags/f", admin, []byte(`{"type":`), 400},
		{"rules not a list", "PUT", "/v1/flags/f", admin, []byte(`{"type":"boolean","rules":{"x":1}}`), 400},
		{"percent as a string", "PUT", "/v1/flags/f", admin, []byte(`{"type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":"20"}]}]}`), 400},
		{"percent beyond float64", "PUT", "/v1/flags/f", admin, []byte(`{"type":"boolean","rules":[{"conditions":[{"op":"percentage","percent":1e999}]}]}`), 400},
		{"unknown field", "PUT", "/v1/flags/f", admin, []byte(`{"type":"boolean","rollout":5}`), 400},
		{"percentage 250", "PUT", "/v1/flags/f", admin, cond(map[string]any{"op": "percentage", "percent": 250}), 422},
		{"percentage -1", "PUT", "/v1/flags/f", admin, cond(map[string]any{"op": "percentage", "percent": -1}), 422},
		{"percentage missing", "PUT", "/v1/flags/f", admin, cond(map[string]any{"op": "percentage"}), 422},
		{"unknown op", "PUT", "/v1/flags/f", admin, cond(map[string]any{"attribute": "a", "op": "matches", "value": ".*"}), 422},
		{"number that is not", "PUT", "/v1/flags/f", admin, cond(map[string]any{"attribute": "age", "op": "gt", "value": "old"}), 422},
		{"semver that is not", "PUT", "/v1/flags/f", admin, cond(map[string]any{"attribute": "app", "op": "semver_gt", "value": "2.x"}), 422},
		{"in without values", "PUT", "/v1/flags/f", admin, cond(map[string]any{"attribute": "a", "op": "in"}), 422},
		{"rule without conditions", "PUT", "/v1/flags/f", admin, map[string]any{"type": "boolean", "rules": []any{map[string]any{"variant": "on"}}}, 422},
		{"unknown type", "PUT", "/v1/flags/f", admin, map[string]any{"type": "ternary"}, 422},
		{"unknown variant", "PUT", "/v1/flags/f", admin, map[string]any{"type": "boolean", "default_variant": "maybe"}, 422},
		{"weights add up to 0", "PUT", "/v1/flags/f", admin, map[string]any{"type": "multivariate", "off_variant": "a",
			"variants": []any{map[string]any{"name": "a", "weight": 0}, map[string]any{"name": "b", "weight": 0}}}, 422},
		{"allow id with colon", "PUT", "/v1/flags/f", admin, map[string]any{"type": "boolean", "allow": []string{"a:b"}}, 422},
		{"deny id with star", "PUT", "/v1/flags/f", admin, map[string]any{"type": "boolean", "deny": []string{"*"}}, 422},
		{"body names another key", "PUT", "/v1/flags/f", admin, map[string]any{"key": "g", "type": "boolean"}, 422},
		{"key with colon", "PUT", "/v1/flags/a:b", admin, rolloutBody(5), 422},
		{"key with braces", "PUT", "/v1/flags/%7Bf%7D", admin, rolloutBody(5), 422},
		{"key with star", "PUT", "/v1/flags/f*", admin, rolloutBody(5), 422},
		{"kill an unknown flag", "PUT", "/v1/flags/nope/enabled", admin, map[string]any{"enabled": false}, 404},
		{"kill without enabled", "PUT", "/v1/flags/existing/enabled", admin, map[string]any{}, 422},
		{"kill a key with braces", "PUT", "/v1/flags/%7Bx%7D/enabled", admin, map[string]any{"enabled": false}, 422},
		{"delete an unknown flag", "DELETE", "/v1/flags/nope", admin, nil, 404},
		{"delete a key with star", "DELETE", "/v1/flags/*", admin, nil, 422},
		{"audit with a bad limit", "GET", "/v1/flags/existing/audit?limit=-1", admin, nil, 422},
		{"audit with a huge limit", "GET", "/v1/flags/existing/audit?limit=100000", admin, nil, 422},
		{"audit before not a number", "GET", "/v1/flags/existing/audit?before=x", admin, nil, 422},
		{"evaluate for a user with colon", "POST", "/v1/users/a:b/flags/evaluate", admin, map[string]any{}, 422},
		{"evaluate a key with braces", "POST", "/v1/users/u/flags/evaluate", admin, map[string]any{"keys": []string{"{x}"}}, 422},
		{"evaluate with user_id attribute", "POST", "/v1/users/u/flags/evaluate", admin, map[string]any{"attributes": map[string]string{"user_id": "v"}}, 422},
		{"evaluate with an attribute name with colon", "POST", "/v1/flags/evaluate", bearer(s.Token), map[string]any{"attributes": map[string]string{"a:b": "v"}}, 422},
		{"evaluate with attributes not strings", "POST", "/v1/flags/evaluate", bearer(s.Token), []byte(`{"attributes":{"age":30}}`), 400},
	}
	stale := a.doWithHeaders("PUT", "/v1/flags/existing", map[string]string{"X-API-Key": testapp.AdminKey, "If-Match": "garbage"}, rolloutBody(1))
	stale.ExpectProblem(t, "If-Match garbage", http.StatusUnprocessableEntity, "invalid-flag-input")
	for _, c := range cases {
		r := a.Do(c.method, c.path, c.c, c.body)
		r.ExpectProblem(t, c.name, c.want, "")
	}
	after := flagKeys(a.snapshot())
	if !maps.Equal(before, after) {
		for k, v := range after {
			if before[k] != v {
				t.Errorf("key %s changed: %q -> %q", k, before[k], v)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				t.Errorf("key %s disappeared", k)
			}
		}
	}
}

// flagKeys keeps the flags module's keys and event streams of a snapshot (other modules, such as rate
// limiting, may write on every request).
func flagKeys(all map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range all {
		if strings.Contains(k, ":flag:") || strings.Contains(k, ".evt.flags.") {
			out[k] = v
		}
	}
	return out
}
