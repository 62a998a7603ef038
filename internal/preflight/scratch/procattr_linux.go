package scratch

import "syscall"

// procAttr kills the child when upshift dies, so a crashed test or an
// interrupted preflight leaves no API server behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
