//go:build unix && !linux

package record

import (
	"os/exec"
	"syscall"
)

// setProcAttr keeps the browser out of the terminal's process group:
// Ctrl-C stops samldoctor, which then closes the browser itself, once
// what it recorded is saved.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
