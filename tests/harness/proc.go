package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	redisServerBin = "/usr/bin/redis-server"
	redisCLIBin    = "/usr/bin/redis-cli"

	startAttempts = 3                // fresh ports tried when a start fails
	readyTimeout  = 10 * time.Second // until a new server must answer
	stopGrace     = 3 * time.Second  // SIGTERM -> SIGKILL
	logTailLines  = 20
)

// registry tracks every process and temp dir the harness created so Run can
// clean them up even if individual tests never did.
var registry = struct {
	sync.Mutex
	procs map[*proc]struct{}
	dirs  []string
}{procs: map[*proc]struct{}{}}

// proc is one running redis-server.
type proc struct {
	cmd     *exec.Cmd
	port    int
	dir     string
	logPath string
	done    chan struct{} // closed once the process has exited and been reaped
}

// makeTempDir creates a temp dir that Run removes.
func makeTempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", fmt.Errorf("harness: create temp dir: %w", err)
	}
	registry.Lock()
	registry.dirs = append(registry.dirs, dir)
	registry.Unlock()
	return dir, nil
}

// freePort returns a loopback TCP port that was free a moment ago. With
// withBus it also requires port+10000 (the cluster bus port) to be free.
func freePort(withBus bool) (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("harness: find free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !withBus {
			l.Close()
			return port, nil
		}
		ok := port+10000 < 65536
		if ok {
			bl, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
			if ok = err == nil; ok {
				bl.Close()
			}
		}
		l.Close()
		if ok {
			return port, nil
		}
	}
	return 0, errors.New("harness: no free port pair (port, port+10000) found")
}

// startWithRetry starts redis-server in dir on a fresh free port, retrying
// with new ports if the start fails (e.g. the port was taken meanwhile).
// args must not contain --port/--dir; they are appended.
func startWithRetry(dir string, withBus bool, args []string) (*proc, error) {
	var lastErr error
	for range startAttempts {
		port, err := freePort(withBus)
		if err != nil {
			return nil, err
		}
		p, err := startProc(dir, port, args)
		if err == nil {
			return p, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// startProc starts redis-server on port in dir and waits until it answers.
// The server's stdout/stderr (its log) is appended to dir/redis.log.
func startProc(dir string, port int, args []string) (*proc, error) {
	logPath := dir + "/redis.log"
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("harness: open log: %w", err)
	}
	defer logFile.Close() // the child has its own copy of the descriptor
	full := append([]string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--daemonize", "no", "--save", "", "--appendonly", "no",
	}, args...)
	cmd := exec.Command(redisServerBin, full...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := startCmd(cmd); err != nil {
		return nil, fmt.Errorf("harness: start %s: %w", redisServerBin, err)
	}
	p := &proc{cmd: cmd, port: port, dir: dir, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	registry.Lock()
	registry.procs[p] = struct{}{}
	registry.Unlock()

	if err := p.waitReady(); err != nil {
		p.stop()
		return nil, fmt.Errorf("harness: redis-server on port %d (dir %s): %w\n--- last lines of %s ---\n%s",
			port, dir, err, logPath, logTail(logPath, logTailLines))
	}
	return p, nil
}

// addr returns the host:port the process listens on.
func (p *proc) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// waitReady polls until the server answers and reports our pid, so a
// foreign server that grabbed the port is never mistaken for ours.
func (p *proc) waitReady() error {
	c := redis.NewClient(&redis.Options{
		Addr: p.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, PoolSize: 1,
	})
	defer c.Close()
	want := "process_id:" + strconv.Itoa(p.cmd.Process.Pid)
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("process exited during startup (%v)", p.cmd.ProcessState)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := c.Info(ctx, "server").Result()
		cancel()
		switch {
		case err != nil:
			lastErr = err
		case !strings.Contains(info, want+"\r\n") && !strings.Contains(info, want+"\n"):
			lastErr = errors.New("port answered by a different redis-server process")
		default:
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not answering after %v: %v", readyTimeout, lastErr)
}

// stop sends SIGTERM, waits up to stopGrace, then SIGKILLs; it always waits
// for the process to be reaped. Safe to call more than once.
func (p *proc) stop() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	registry.Lock()
	delete(registry.procs, p)
	registry.Unlock()
}

// stopAll stops every process the harness started and removes its temp dirs.
func stopAll() {
	registry.Lock()
	procs := make([]*proc, 0, len(registry.procs))
	for p := range registry.procs {
		procs = append(procs, p)
	}
	dirs := registry.dirs
	registry.dirs = nil
	registry.Unlock()

	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(p.stop)
	}
	wg.Wait()
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
