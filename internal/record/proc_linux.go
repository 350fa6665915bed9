package record

import (
	"os/exec"
	"syscall"
)

// setProcAttr has the browser killed when samldoctor dies, and keeps it
// out of the terminal's process group: Ctrl-C stops samldoctor, which
// then closes the browser itself, once what it recorded is saved.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
