package httpapi_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/ports"
)

var errOutOfPoints = errors.New("out of points")

// pointsError is a company module's error that says how HTTP answers it.
type pointsError struct{ missing int }

func (e *pointsError) Error() string        { return fmt.Sprintf("%d points short", e.missing) }
func (e *pointsError) ProblemStatus() int   { return http.StatusConflict }
func (e *pointsError) ProblemType() string  { return "points-short" }
func (e *pointsError) ProblemTitle() string { return "Not enough points" }

func serverWith(t *testing.T, fail error, opts ...httpapi.Option) (*httptest.ResponseRecorder, error) {
	t.Helper()
	cfg := httpapi.DefaultConfig()
	routes := []httpapi.Route{{Pattern: "GET /x", Access: httpapi.Access{Public: true},
		Handle: func(http.ResponseWriter, *http.Request) error { return fail }}}
	srv, err := httpapi.NewServer(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), nil, nil, routes, opts...)
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	return rec, nil
}

// TestModuleProblems: a module's rows answer its errors (wrapped too); an error carrying its own status and
// type is answered with them; anything else stays a 500.
func TestModuleProblems(t *testing.T) {
	rows := httpapi.WithProblems([]ports.Problem{{Err: errOutOfPoints, Status: http.StatusUnprocessableEntity,
		Type: "out-of-points", Title: "Out of points"}})
	for _, c := range []struct {
		err    error
		status int
		slug   string
	}{
		{fmt.Errorf("redeem: %w", errOutOfPoints), http.StatusUnprocessableEntity, "out-of-points"},
		{fmt.Errorf("redeem: %w", &pointsError{missing: 3}), http.StatusConflict, "points-short"},
		{fmt.Errorf("redeem: %w", ports.ErrUnavailable), http.StatusServiceUnavailable, "unavailable"},
		{errors.New("something else"), http.StatusInternalServerError, "internal"},
	} {
		rec, err := serverWith(t, c.err, rows)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), httpapi.ProblemTypeBase+c.slug) {
			t.Errorf("%v: %d %s, want %d %s", c.err, rec.Code, rec.Body, c.status, c.slug)
		}
	}
}

func TestBadProblemRowsStopTheServer(t *testing.T) {
	for _, rows := range [][]ports.Problem{
		{{Err: errOutOfPoints, Status: 200, Type: "ok-ish", Title: "Fine"}},
		{{Err: nil, Status: 409, Type: "nothing", Title: "Nothing"}},
		{{Err: errOutOfPoints, Status: 409, Type: "Bad Slug", Title: "x"}},
		{{Err: errOutOfPoints, Status: 409, Type: "not-found", Title: "Taken by the server"}},
	} {
		if _, err := serverWith(t, nil, httpapi.WithProblems(rows)); err == nil {
			t.Errorf("rows %+v accepted", rows)
		}
	}
}

// TestMergeOpenAPI: fragments add their paths, components and tags to the server's document; a path or a
// component declared twice, or an unexpected top-level key, is refused naming the modules.
func TestMergeOpenAPI(t *testing.T) {
	points := ports.OpenAPIFragment{Module: "points", YAML: []byte(`tags:
  - name: points
    description: Loyalty points.
paths:
  /v1/points:
    get:
      operationId: getPoints
      security:
        - apiKey: [points]
      responses:
        "200":
          $ref: '#/components/responses/Points'
components:
  responses:
    Points:
      description: The balance.
  schemas:
    Balance:
      type: integer
`)}
	doc, err := httpapi.MergeOpenAPI([]ports.OpenAPIFragment{points})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  /healthz:\n", "\n  /v1/points:\n", "\n    Balance:\n", "\n    Problem:\n",
		"\n  - name: points\n", "        - apiKey: [points]\n"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("merged document lacks %q", want)
		}
	}
	again := ports.OpenAPIFragment{Module: "again", YAML: []byte("paths:\n  /v1/points:\n    get: {}\n")}
	if _, err := httpapi.MergeOpenAPI([]ports.OpenAPIFragment{points, again}); err == nil ||
		!strings.Contains(err.Error(), "path /v1/points declared by again and points") {
		t.Errorf("duplicate path: %v", err)
	}
	shadow := ports.OpenAPIFragment{Module: "shadow", YAML: []byte("components:\n  schemas:\n    Problem:\n      type: object\n")}
	if _, err := httpapi.MergeOpenAPI([]ports.OpenAPIFragment{shadow}); err == nil ||
		!strings.Contains(err.Error(), "components/schemas/Problem declared by server and shadow") {
		t.Errorf("duplicate schema: %v", err)
	}
	info := ports.OpenAPIFragment{Module: "info", YAML: []byte("info:\n  title: mine\n")}
	if _, err := httpapi.MergeOpenAPI([]ports.OpenAPIFragment{info}); err == nil || !strings.Contains(err.Error(), `"info"`) {
		t.Errorf("top-level info: %v", err)
	}
}
