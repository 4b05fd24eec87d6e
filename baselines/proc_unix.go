//go:build unix

package baselines

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the tool in its own process group and makes
// cancellation (the timeout) kill the whole group, so nothing the tool
// started outlives it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
