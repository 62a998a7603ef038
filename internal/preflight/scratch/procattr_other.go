//go:build !linux

package scratch

import "syscall"

func procAttr() *syscall.SysProcAttr { return nil }
