//go:build !unix

package analysis

import "os/exec"

// killGroupOnCancel: without process groups, exec's default (kill the
// leader) and WaitDelay bound the wait.
func killGroupOnCancel(*exec.Cmd) {}
