//go:build unix

package cognitolocal

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the child in its own process group so Stop can signal
// it and anything it spawned.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setParentDeathSignal(cmd.SysProcAttr)
}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process == nil {
		return
	}
	// The group id equals the child's pid because of Setpgid.
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
