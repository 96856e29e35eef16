package httpapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.uber.org/fx"
	"go.yaml.in/yaml/v3"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/cmd/statekit/boot"
)

// operation is one path and method of the OpenAPI document, with what the test needs to know of it.
type operation struct {
	line        int
	operationID string
	security    string // "public", "service:<scope>", "holder", or "" when the operation states none
	responses   bool
}

// document is the part of openapi.yaml the tests read.
type document struct {
	version    string
	operations map[string]*operation // "GET /v1/session"
	components map[string]bool       // "schemas/Session"
	refs       map[string][]int      // "#/components/schemas/Session" -> lines using it
	schemes    map[string]bool       // security scheme names
}

var methods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// parseDocument reads the OpenAPI document with a small line-based parser: it relies on the document's
// two-space indentation (paths at 2, methods at 4, operation keys at 6), which it checks as it goes.
func parseDocument(t *testing.T, doc []byte) document {
	t.Helper()
	d := document{operations: map[string]*operation{}, components: map[string]bool{}, refs: map[string][]int{},
		schemes: map[string]bool{}}
	var (
		section, path, kind string
		op                  *operation
		inSecurity          bool
	)
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.Contains(line, "\t") {
			t.Errorf("openapi.yaml:%d: tab character", n)
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if i := strings.Index(line, "$ref:"); i >= 0 {
			ref := strings.Trim(strings.TrimSpace(line[i+len("$ref:"):]), `'"`)
			d.refs[ref] = append(d.refs[ref], n)
		}
		key, value, isKey := strings.Cut(trimmed, ":")
		if !isKey || strings.HasPrefix(trimmed, "- ") {
			key = ""
		}
		key = strings.Trim(key, `'"`)
		value = strings.TrimSpace(value)

		if indent == 0 {
			section, path, op, inSecurity = key, "", nil, false
			if key == "openapi" {
				d.version = strings.Trim(value, `'"`)
			}
			continue
		}
		switch section {
		case "paths":
			switch {
			case indent == 2:
				if !strings.HasPrefix(key, "/") {
					t.Errorf("openapi.yaml:%d: path %q does not start with /", n, key)
				}
				path, op, inSecurity = key, nil, false
			case indent == 4:
				op, inSecurity = nil, false
				if slices.Contains(methods, key) {
					name := strings.ToUpper(key) + " " + path
					if d.operations[name] != nil {
						t.Errorf("openapi.yaml:%d: %s declared twice", n, name)
					}
					op = &operation{line: n}
					d.operations[name] = op
				} else if key != "parameters" && key != "summary" && key != "description" {
					t.Errorf("openapi.yaml:%d: unexpected key %q under path %s", n, key, path)
				}
			case op != nil && indent == 6:
				inSecurity = false
				switch key {
				case "operationId":
					op.operationID = value
				case "responses":
					op.responses = true
				case "security":
					if value == "[]" {
						op.security = "public"
					} else {
						inSecurity = true
					}
				}
			case op != nil && inSecurity && indent == 8 && strings.HasPrefix(trimmed, "- "):
				name, scopes, _ := strings.Cut(strings.TrimPrefix(trimmed, "- "), ":")
				switch name {
				case "apiKey":
					op.security = "service:" + strings.Trim(strings.TrimSpace(scopes), "[]")
				case "sessionBearer", "sessionCookie":
					if op.security != "" && op.security != "holder" {
						t.Errorf("openapi.yaml:%d: operation mixes %s with %s", n, op.security, name)
					}
					op.security = "holder"
				case "cartToken":
					op.security = "guest"
				default:
					t.Errorf("openapi.yaml:%d: unknown security scheme %q", n, name)
				}
			}
		case "components":
			switch indent {
			case 2:
				kind = key
			case 4:
				if key != "" {
					d.components[kind+"/"+key] = true
					if kind == "securitySchemes" {
						d.schemes[key] = true
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

// served boots the real graph (without starting it: nothing dials Redis) and returns the server: its route
// patterns, its handler and the OpenAPI document it serves (the server's part with the modules' merged in).
func served(t *testing.T) *httpapi.Server {
	t.Helper()
	env := map[string]string{
		"STATEKIT_REDIS_URL":  "redis://127.0.0.1:1",
		"STATEKIT_KEY_PREFIX": "openapi-test",
		"STATEKIT_HTTP_ADDR":  "127.0.0.1:0",
		"STATEKIT_API_KEYS":   "shop:" + sessionsSecret + ":sessions",
	}
	var srv *httpapi.Server
	app := fx.New(boot.Options(func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)), fx.Populate(&srv))
	if err := app.Err(); err != nil {
		t.Fatalf("build the graph: %v", err)
	}
	return srv
}

const sessionsSecret = "shop-secret-0123456789abcdef"

// TestOpenAPIMatchesRoutes checks that the document describes exactly the routes the server serves, each
// with an operation id, responses and the security its route's access rule asks for.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	srv := served(t)
	doc := parseDocument(t, srv.OpenAPI())
	if !strings.HasPrefix(doc.version, "3.1.") {
		t.Errorf("openapi: %q, want 3.1.x", doc.version)
	}
	routes, handler := srv.Routes(), srv.Handler()
	if len(routes) < 10 {
		t.Fatalf("the server has only %d routes: %v", len(routes), routes)
	}

	served := map[string]bool{}
	for _, r := range routes {
		served[r] = true
		if doc.operations[r] == nil {
			t.Errorf("route %q is not in openapi.yaml", r)
		}
	}
	ids := map[string]string{}
	for name, op := range doc.operations {
		if !served[name] {
			t.Errorf("openapi.yaml:%d: %s is not served", op.line, name)
		}
		if op.operationID == "" {
			t.Errorf("openapi.yaml:%d: %s has no operationId", op.line, name)
		} else if other, dup := ids[op.operationID]; dup {
			t.Errorf("openapi.yaml:%d: operationId %q also used by %s", op.line, op.operationID, other)
		}
		ids[op.operationID] = name
		if !op.responses {
			t.Errorf("openapi.yaml:%d: %s has no responses", op.line, name)
		}
		if op.security == "" {
			t.Errorf("openapi.yaml:%d: %s states no security (use security: [] for public operations)", op.line, name)
		}
	}

	for ref, lines := range doc.refs {
		target, ok := strings.CutPrefix(ref, "#/components/")
		if !ok || !doc.components[target] {
			t.Errorf("openapi.yaml:%v: $ref %q resolves to nothing", lines, ref)
		}
	}
	for _, s := range []string{"apiKey", "sessionBearer", "sessionCookie"} {
		if !doc.schemes[s] {
			t.Errorf("security scheme %q is not declared", s)
		}
	}

	// Each operation's stated security matches what the server enforces: public operations answer without
	// a credential; others answer 401 without one; holder operations refuse a service key with 403, and
	// service operations accept the key of their scope (the invalid ids used here stop them with a 4xx
	// before any Redis call).
	for _, r := range routes {
		op := doc.operations[r]
		if op == nil || op.security == "" {
			continue
		}
		method, path, _ := strings.Cut(r, " ")
		if r == "GET /readyz" {
			continue // it pings Redis; its answers are covered by the component tests
		}
		path = strings.NewReplacer("{userID}", "bad:user", "{sessionID}", "bad:id", "{sku}", "bad:sku").Replace(path)
		anonymous := call(handler, method, path, "")
		keyed := call(handler, method, path, sessionsSecret)
		switch {
		case op.security == "public":
			// Redis is unreachable here, so a public route that stores something answers 503.
			if anonymous != http.StatusOK && !(method == "POST" && anonymous == http.StatusServiceUnavailable) {
				t.Errorf("%s is documented public but answers %d without a credential", r, anonymous)
			}
		case op.security == "guest":
			if anonymous != http.StatusUnauthorized {
				t.Errorf("%s is documented for guest cart tokens but answers %d without one; want 401", r, anonymous)
			}
		case op.security == "service:admin":
			if anonymous != http.StatusUnauthorized || keyed != http.StatusForbidden {
				t.Errorf("%s is documented for the admin scope but answers %d anonymous, %d to a sessions key; want 401, 403",
					r, anonymous, keyed)
			}
		case op.security == "service:flags" || op.security == "service:activity" || op.security == "service:jobs" ||
			op.security == "service:locks":
			// The sessions key lacks these scopes, so it must be refused like an admin-only route refuses it.
			if anonymous != http.StatusUnauthorized || keyed != http.StatusForbidden {
				t.Errorf("%s is documented for the %s scope but answers %d anonymous, %d to a sessions key; want 401, 403",
					r, strings.TrimPrefix(op.security, "service:"), anonymous, keyed)
			}
		case op.security == "holder":
			if anonymous != http.StatusUnauthorized || keyed != http.StatusForbidden {
				t.Errorf("%s is documented for session holders but answers %d anonymous, %d to a service key; want 401, 403",
					r, anonymous, keyed)
			}
		case op.security == "service:sessions":
			if anonymous != http.StatusUnauthorized || keyed < 400 || keyed >= 500 || keyed == 401 || keyed == 403 {
				t.Errorf("%s is documented for the sessions scope but answers %d anonymous, %d to a sessions key; want 401 and an accepted key",
					r, anonymous, keyed)
			}
		default:
			t.Errorf("%s: security %q is not checked by this test; teach it", r, op.security)
		}
	}
}

func call(h http.Handler, method, path, apiKey string) int {
	req := httptest.NewRequest(method, path, strings.NewReader(""))
	if apiKey != "" {
		req.Header.Set("X-API-Key", apiKey)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	_, _ = io.Copy(io.Discard, rec.Body)
	return rec.Code
}

// TestParseDocumentFindsDifferences proves the parser sees what the route test relies on, so a parser
// that reads nothing cannot make the test pass.
func TestParseDocumentFindsDifferences(t *testing.T) {
	src := `openapi: 3.1.0
paths:
  /a/{id}:
    parameters:
      - $ref: '#/components/parameters/ID'
    get:
      operationId: getA
      security: []
      responses:
        "200":
          $ref: '#/components/responses/Missing'
    delete:
      operationId: deleteA
      security:
        - apiKey: [sessions]
      responses: {}
  "/b":
    patch:
      security:
        - sessionBearer: []
        - sessionCookie: []
components:
  parameters:
    ID:
      name: id
`
	d := parseDocument(t, []byte(src))
	got := []string{}
	for name, op := range d.operations {
		got = append(got, fmt.Sprintf("%s %s %s %v", name, op.operationID, op.security, op.responses))
	}
	slices.Sort(got)
	want := []string{
		"DELETE /a/{id} deleteA service:sessions true",
		"GET /a/{id} getA public true",
		"PATCH /b  holder false",
	}
	if !slices.Equal(got, want) {
		t.Errorf("operations = %q, want %q", got, want)
	}
	if !d.components["parameters/ID"] || d.components["responses/Missing"] {
		t.Errorf("components = %v", d.components)
	}
	if len(d.refs) != 2 || d.version != "3.1.0" {
		t.Errorf("refs = %v, version %q", d.refs, d.version)
	}
}

// TestOpenAPIIsStrictYAML: the document loads in a conforming YAML parser, as client generators and API
// gateways will read it (the line-based checks above would accept a plain scalar holding ": ").
func TestOpenAPIIsStrictYAML(t *testing.T) {
	var doc struct {
		OpenAPI    string         `yaml:"openapi"`
		Paths      map[string]any `yaml:"paths"`
		Components map[string]any `yaml:"components"`
	}
	served := served(t).OpenAPI()
	if err := yaml.Unmarshal(served, &doc); err != nil {
		t.Fatalf("openapi.yaml is not valid YAML: %v", err)
	}
	if doc.OpenAPI == "" || len(doc.Paths) == 0 || len(doc.Components) == 0 {
		t.Fatalf("openapi.yaml parsed without openapi, paths or components: %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	ops := 0
	for _, item := range doc.Paths {
		for key := range item.(map[string]any) {
			if slices.Contains(methods, key) {
				ops++
			}
		}
	}
	if want := len(parseDocument(t, served).operations); ops != want {
		t.Errorf("a YAML parser finds %d operations, the line-based reader %d", ops, want)
	}
}
