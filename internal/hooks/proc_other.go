//go:build !unix

package hooks

import "os/exec"

// setProcessGroup does nothing where process groups are not available.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the script only: its children survive here.
func killProcessGroup(cmd *exec.Cmd) error { return cmd.Process.Kill() }
