package record

import (
	"os/exec"
	"syscall"
)

// setProcAttr starts the browser in its own process group, so that
// Ctrl-C stops samldoctor, which then closes the browser itself.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
