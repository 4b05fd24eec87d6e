//go:build !unix

package baselines

import "os/exec"

// setProcessGroup: without process groups, cancellation kills the process
// itself (exec.CommandContext's default).
func setProcessGroup(cmd *exec.Cmd) {}
