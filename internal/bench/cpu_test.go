package bench

import (
	"os/exec"
	"testing"
)

// childCPU counts a child that has ended, with the CPU of its own children
// (the shell's loop runs in a grandchild).
func TestChildCPUCountsGrandchildren(t *testing.T) {
	before := childCPU()
	cmd := exec.Command("sh", "-c", `sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'`)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	own := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if got := childCPU() - before; got <= 0 || got < own {
		t.Errorf("childCPU grew by %v, want more than 0 and at least the child's %v", got, own)
	}
}
