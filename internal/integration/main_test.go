package integration

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// carpdBin is the carpd binary TestMain built; empty when the tests skip.
var carpdBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

// defaultParallel replaces -test.parallel's default (GOMAXPROCS) when the
// flag is not given: these tests spend their time waiting on protocol timers,
// not on the CPU, so more of them can share a small machine.
const defaultParallel = 4

func testMain(m *testing.M) int {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given && runtime.GOMAXPROCS(0) < defaultParallel {
		_ = flag.Set("test.parallel", strconv.Itoa(defaultParallel))
	}
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		return m.Run() // every test skips through netns.Available
	}
	dir, err := os.MkdirTemp("", "carpd-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "carpd")
	if err := buildCarpd(bin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	carpdBin = bin
	return m.Run()
}

// buildCarpd builds ./cmd/carpd of this module into out.
func buildCarpd(out string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/carpd")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}
