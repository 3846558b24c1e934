//go:build unix && !linux

package cognitolocal

import "syscall"

func setParentDeathSignal(*syscall.SysProcAttr) {}
