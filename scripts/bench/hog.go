package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// spin keeps n threads busy until the process is killed.
func spin(n int) {
	runtime.GOMAXPROCS(max(n, 1))
	for range max(n, 1) - 1 {
		go loop()
	}
	loop()
}

func loop() {
	x := uint64(1)
	for {
		for range 1 << 20 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if x == 0 { // never: keeps the arithmetic alive
			fmt.Print("")
		}
	}
}

// statTicks is utime + stime of a /proc/PID/stat line (fields 14 and 15,
// counted after the last ')' as the command may contain any byte).
func statTicks(s string) (uint64, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no (comm)")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after comm", len(f))
	}
	var sum uint64
	for _, k := range []int{14, 15} {
		v, err := strconv.ParseUint(f[k-3], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: field %d: %w", k, err)
		}
		sum += v
	}
	return sum, nil
}

func nprocs() int { return runtime.NumCPU() }
