package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// child is a running statekit binary started by a test.
type child struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan error
	base   string
}

// buildBinary compiles this command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "statekit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startReady builds and starts `statekit <command>` on a free address with env added, and waits until
// /readyz answers 200. The process is killed when the test ends if it is still running.
func startReady(t *testing.T, command string, env ...string) *child {
	t.Helper()
	addr := freeAddr(t)
	c := &child{cmd: exec.Command(buildBinary(t), command), logs: &lockedBuffer{}, exited: make(chan error, 1),
		base: "http://" + addr}
	c.cmd.Env = append(append(os.Environ(), "STATEKIT_HTTP_ADDR="+addr), env...)
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(c.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready: %v\n%s", err, c.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and requires a clean exit within 10 s.
func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, c.logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10 s after SIGTERM\n%s", c.logs.String())
	}
}
