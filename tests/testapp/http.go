package testapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	httpapi "github.com/statekit/statekit/adapters/http"
)

// Creds is what a request presents; Do sends only the parts that are set.
type Creds struct {
	APIKey    string // X-API-Key
	Bearer    string // Authorization: Bearer
	Cookie    string // the session cookie
	CartToken string // X-Cart-Token
	RequestID string // X-Request-ID
}

// WithRequestID returns c with the request id set.
func (c Creds) WithRequestID(id string) Creds { c.RequestID = id; return c }

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request with a JSON (or raw string / []byte) body and returns the whole response.
func (a *App) Do(method, path string, c Creds, body any) Response {
	a.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.T.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, a.Base+path, rd)
	if err != nil {
		a.T.Fatalf("%s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.APIKey != "" {
		req.Header.Set("X-API-Key", c.APIKey)
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	if c.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: c.Cookie})
	}
	if c.CartToken != "" {
		req.Header.Set("X-Cart-Token", c.CartToken)
	}
	if c.RequestID != "" {
		req.Header.Set("X-Request-ID", c.RequestID)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		a.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.T.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Expect fails the test unless the response has the status, and decodes a JSON body into v (when not nil).
func (r Response) Expect(t *testing.T, what string, status int, v any) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status = %d, want %d; body: %s", what, r.Status, status, r.Body)
	}
	if v != nil {
		reflect.ValueOf(v).Elem().SetZero() // never merge into what an earlier response left
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("%s: decode %s: %v", what, r.Body, err)
		}
	}
}

// Problem is an RFC 9457 document as the server writes it.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

// ExpectProblem fails the test unless the response is a problem+json document with the status (and, when
// slug is not empty, the type ending in it), and returns it.
func (r Response) ExpectProblem(t *testing.T, what string, status int, slug string) Problem {
	t.Helper()
	var p Problem
	r.Expect(t, what, status, &p)
	CheckProblem(t, what, r, &p)
	if slug != "" && p.Type != httpapi.ProblemTypeBase+slug {
		t.Errorf("%s: problem type = %q, want %q", what, p.Type, httpapi.ProblemTypeBase+slug)
	}
	return p
}

// CheckProblem decodes r's body into p and checks the parts every problem document has.
func CheckProblem(t *testing.T, what string, r Response, p *Problem) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", what, ct)
	}
	if err := json.Unmarshal(r.Body, p); err != nil {
		t.Errorf("%s: body is not JSON: %v: %s", what, err, r.Body)
		return
	}
	if p.Type == "" || p.Title == "" || p.Status != r.Status {
		t.Errorf("%s: problem %+v: want type, title and status %d", what, *p, r.Status)
	}
}
