//go:build !linux

package harness

import "os/exec"

func startCmd(cmd *exec.Cmd) error { return cmd.Start() }
