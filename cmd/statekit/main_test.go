package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeEmbeddedAndShutdown builds the binary, runs `statekit serve` with no Redis URL (the embedded
// mode of `make run` on a bare machine), does a session round trip over HTTP, then sends SIGTERM and
// expects a clean exit within the shutdown bound.
func TestServeEmbeddedAndShutdown(t *testing.T) {
	const key = "test-key-0123456789abcdefghij"
	c := startReady(t, "serve", "STATEKIT_REDIS_URL=", "STATEKIT_API_KEYS=test:"+key+":sessions",
		"STATEKIT_SHUTDOWN_TIMEOUT=5s")
	base, logs := c.base, c.logs
	if !strings.Contains(logs.String(), "embedded in-process Redis") {
		t.Errorf("start-up did not warn about the embedded Redis:\n%s", logs.String())
	}

	req, _ := http.NewRequest(http.MethodPost, base+"/v1/users/u1/sessions", strings.NewReader(`{"device":{"os":"linux"}}`))
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var issued struct {
		Token string `json:"token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&issued)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || issued.Token == "" {
		t.Fatalf("create: %d %+v", resp.StatusCode, issued)
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/v1/session", nil)
	req.Header.Set("Authorization", "Bearer "+issued.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/session: %d", resp.StatusCode)
	}

	start := time.Now()
	c.stop(t)
	t.Logf("shut down in %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(logs.String(), "statekit stopping") {
		t.Errorf("no shutdown log line:\n%s", logs.String())
	}
}

func TestInvalidConfigStopsStartup(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "STATEKIT_REDIS_URL=mysql://nope:1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("started with an invalid URL:\n%s", out)
	}
	if !strings.Contains(string(out), "STATEKIT_REDIS_URL") {
		t.Errorf("message does not name the variable:\n%s", out)
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "statekit ") {
		t.Errorf("version: %v %s", err, out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprintf("127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
}

// lockedBuffer collects the child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
