//go:build linux

package harness

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// On Linux every child gets Pdeathsig=SIGKILL, so redis-server processes die
// with the test binary even when Run never gets to clean up (panic, -timeout).
// Pdeathsig fires when the *thread* that forked the child exits, so all
// children are forked from one goroutine locked to a thread that never exits.

type spawnReq struct {
	cmd   *exec.Cmd
	reply chan error
}

var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

func startCmd(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range spawnCh {
				r.reply <- r.cmd.Start()
			}
		}()
	})
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	reply := make(chan error, 1)
	spawnCh <- spawnReq{cmd: cmd, reply: reply}
	return <-reply
}
