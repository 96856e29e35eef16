package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rounds is how many times each side runs; sides alternate (statekit, peer, statekit, peer, ...).
const Rounds = 3

// Server is a redis-server the bench starts on a free loopback port, persistence off.
type Server struct {
	Addr string
	cmd  *exec.Cmd
	dir  string
}

// StartRedis starts a private redis-server and waits until it answers. The free port it picks may be taken
// by another process before redis-server binds it (other benches and tests run on this machine too), and a
// ping would then reach that process's server: so it checks that the server answering is its own (by its
// dir) and otherwise tries another port.
func StartRedis() (*Server, error) {
	var lastErr error
	for range 5 {
		s, err := startRedis()
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startRedis() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "statekit-bench-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("redis-server", "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", dir+"/redis.log")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, dir: dir}
	c := s.Client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("redis-server on %s did not answer", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, err := c.ConfigGet(context.Background(), "dir").Result(); err != nil || got["dir"] != dir {
		s.Stop()
		return nil, fmt.Errorf("the server on %s is not the one started (dir %q, want %q): %v", s.Addr, got["dir"], dir, err)
	}
	return s, nil
}

// Client returns a new client to the server with a pool large enough for the bench's goroutines.
func (s *Server) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr, PoolSize: 128})
}

// Flush empties the keyspace between rounds.
func (s *Server) Flush() error {
	c := s.Client()
	defer c.Close()
	return c.FlushAll(context.Background()).Err()
}

// UsedMemory reads INFO memory's used_memory, for bytes-per-item figures.
func (s *Server) UsedMemory() (int64, error) {
	c := s.Client()
	defer c.Close()
	info, err := c.InfoMap(context.Background(), "memory").Result()
	if err != nil {
		return 0, err
	}
	var n int64
	_, err = fmt.Sscan(info["Memory"]["used_memory"], &n)
	return n, err
}

// CPUSeconds reads INFO cpu: the CPU time (user + system) the server has used so far.
func (s *Server) CPUSeconds() (float64, error) {
	c := s.Client()
	defer c.Close()
	info, err := c.InfoMap(context.Background(), "cpu").Result()
	if err != nil {
		return 0, err
	}
	var user, sys float64
	if _, err := fmt.Sscan(info["CPU"]["used_cpu_user"], &user); err != nil {
		return 0, err
	}
	if _, err := fmt.Sscan(info["CPU"]["used_cpu_sys"], &sys); err != nil {
		return 0, err
	}
	return user + sys, nil
}

// Stop ends the server and removes its directory.
func (s *Server) Stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = os.RemoveAll(s.dir)
}

// Alternate runs ours and peer in turn for Rounds rounds each, calling reset before every run, and returns
// the median figure of each side.
func Alternate(reset func() error, ours, peer func() (float64, error)) (float64, float64, error) {
	var a, b []float64
	for i := 0; i < Rounds; i++ {
		for _, side := range []struct {
			run func() (float64, error)
			out *[]float64
		}{{ours, &a}, {peer, &b}} {
			if err := reset(); err != nil {
				return 0, 0, err
			}
			v, err := side.run()
			if err != nil {
				return 0, 0, err
			}
			*side.out = append(*side.out, v)
		}
	}
	return Median(a), Median(b), nil
}

// Median of xs (xs is sorted in place).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

// Percentile of durations in microseconds (ds is sorted in place), p in [0, 1].
func Percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := int(p * float64(len(ds)-1))
	return float64(ds[i].Nanoseconds()) / 1000
}

// Line prints one result in the quality-bars format; extra holds "key=value" fields such as latencies.
func Line(name string, conc int, ours float64, peer string, peerOps float64, extra ...string) {
	ratio := 0.0
	if peerOps > 0 {
		ratio = ours / peerOps
	}
	fields := []string{"BENCH", "name=" + name, fmt.Sprintf("conc=%d", conc), fmt.Sprintf("statekit=%.0f", ours),
		"peer=" + peer, fmt.Sprintf("peer_ops=%.0f", peerOps), fmt.Sprintf("ratio=%.2f", ratio)}
	fmt.Println(strings.Join(append(fields, extra...), " "))
}

// Fail prints a scenario's verification failure in the quality-bars format; the caller returns an error so
// the bench exits non-zero.
func Fail(name string, err error) error {
	fmt.Printf("BENCH name=%s error=%q\n", name, err.Error())
	return err
}
