package cognitolocal

import "syscall"

// setParentDeathSignal makes the kernel SIGKILL cognito-local if the Go
// process dies without calling Stop (a crashed test, for example).
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
