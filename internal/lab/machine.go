package lab

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes this machine for a benchmark's header: "2 CPUs
// (nproc), Linux 6.18.44, Intel(R) Xeon(R) Processor".
func Machine() string {
	return fmt.Sprintf("%d CPUs (nproc), %s, %s", runtime.NumCPU(), kernel(), cpuModel())
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "kernel ?"
	}
	return "Linux " + strings.TrimSpace(string(b))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "CPU ?"
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if ok && (strings.TrimSpace(k) == "model name" || strings.TrimSpace(k) == "Model") {
			return strings.TrimSpace(v)
		}
	}
	return "CPU ?"
}
