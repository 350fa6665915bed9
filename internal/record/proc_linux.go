package record

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the browser killed when samldoctor dies.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
