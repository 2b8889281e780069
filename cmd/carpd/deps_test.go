package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGopacket keeps gopacket out of the binary: the init of
// gopacket/layers alone costs the daemon about 5 MiB of RSS (two 2.5 MiB
// tables the GC scans), for "carpd inspect" that reads captures with
// internal/pcapfile instead. Tests may still use it.
func TestNoGopacket(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for dep := range strings.Lines(string(out)) {
		if strings.Contains(dep, "github.com/gopacket/") {
			t.Errorf("carpd links %s", strings.TrimSpace(dep))
		}
	}
}
