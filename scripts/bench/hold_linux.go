//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/internal/lab"
)

// holds is figure (c), its hold part: every implementation at 26/52 and
// at 3/6, each pair on a LAN of its own, all at once, for -hold, beside a
// CPU hog that keeps both cores busy. A spurious takeover is a run of
// adverts from the backup; the master's longest silence is set beside the
// backup's bound.
func (b *bench) holds(ctx context.Context) (err error) {
	timings := []timing{timingSub26, timingSub3}
	b.section("(c) sub-second mode: a hold on a loaded host", fmt.Sprintf("The pairs of the sub-second figure (carpd and ucarp -b 0 -P, keepalived vrrp_version 3), %d of them, each on a LAN of its own, run at the same time for %v "+
		"beside a CPU hog (%d busy-looping threads in a separate process, nice 0, on %d cores). Counted at each client: the backup's adverts and takeovers (runs of its adverts: each one a spurious transition and a transition back), "+
		"and the master's longest silence between two of its adverts, against the backup's bound. Running the pairs at once keeps the run short; each daemon also competes with the others.",
		len(timings)*len(b.cfg.impls), b.cfg.hold, b.cfg.hog, nprocs()))
	type pair struct {
		impl string
		t    timing
		e    *env
	}
	var pairs []*pair
	defer func() {
		for _, p := range pairs {
			if p.e != nil {
				err = errors.Join(err, p.e.close())
			}
		}
	}()
	for ti, t := range timings {
		for _, impl := range b.cfg.impls {
			p := &pair{impl: impl, t: t}
			pairs = append(pairs, p)
			tag := fmt.Sprintf("hold%d%s", ti, impl[:1])
			if p.e, err = b.newEnv(ctx, fmt.Sprintf("%s%s-", prefix, tag), tag); err != nil {
				return err
			}
			if _, _, err = p.e.pair(ctx, impl, t, true, "hold", nil); err != nil {
				return fmt.Errorf("%s %s: %w", impl, t.name, err)
			}
		}
	}
	var hog *exec.Cmd
	if b.cfg.hog > 0 {
		if hog, err = startHog(b.cfg.hog); err != nil {
			return err
		}
		defer func() {
			_ = hog.Process.Kill()
			_ = hog.Wait()
		}()
	}
	start := time.Now()
	fmt.Fprintf(b.out, "holding %d pairs for %v from %s...\n", len(pairs), b.cfg.hold, start.UTC().Format("15:04:05"))
	if err := lab.Sleep(ctx, b.cfg.hold); err != nil {
		return err
	}
	end := time.Now()
	var hogCPU string
	if hog != nil {
		hogCPU = hogUsage(hog.Process.Pid, end.Sub(start))
	}
	takeovers := map[string]map[string]string{}
	var rows []row
	for _, t := range timings {
		tk, sl, rt := map[string]string{}, map[string]string{}, map[string]string{}
		takeovers[t.name] = tk
		for _, p := range pairs {
			if p.t != t {
				continue
			}
			h := hold(p.e.advertsBetween(start, end))
			if h.fromM == 0 {
				return fmt.Errorf("%s %s: no advert from the master during the hold", p.impl, t.name)
			}
			rate := float64(h.fromM) / end.Sub(start).Seconds()
			fmt.Fprintf(b.out, "hold %-10s %s: master %d adverts (%.1f/s), backup %d adverts in %d takeovers, master's longest silence %s ms (bound %s ms)\n",
				p.impl, t.name, h.fromM, rate, h.fromB, h.takeovers, ms(h.maxGapM), ms(t.bound(p.impl)))
			tk[p.impl] = fmt.Sprintf("%d (%d backup adverts)", h.takeovers, h.fromB)
			sl[p.impl] = ms(h.maxGapM)
			rt[p.impl] = fmt.Sprintf("%.1f (nominal %.1f)", rate, float64(time.Second)/float64(t.interval(p.impl)))
		}
		rows = append(rows,
			row{t.name + ": spurious takeovers", "0", tk},
			row{t.name + ": master's longest silence, ms", boundCell(t, b.cfg.impls), sl},
			row{t.name + ": master's adverts per second", "", rt})
	}
	if hogCPU != "" {
		fmt.Fprintf(b.out, "the hog used %s\n", hogCPU)
	}
	title := fmt.Sprintf("(c) sub-second hold, %v, %d pairs at once beside a %d-thread CPU hog", b.cfg.hold, len(pairs), b.cfg.hog)
	if hogCPU != "" {
		title += " (it used " + hogCPU + ")"
	}
	b.table(title, "hold", rows)
	for _, t := range timings {
		b.headline = append(b.headline, row{fmt.Sprintf("(c) %s: spurious takeovers in a %v hold, loaded host", t.name, b.cfg.hold), "0", takeovers[t.name]})
	}
	return nil
}

// startHog starts this program again as the CPU hog: n threads that spin.
func startHog(n int) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, hogArg, fmt.Sprint(n))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("CPU hog: %w", err)
	}
	return cmd, nil
}

// hogUsage is the CPU the hog used over d, in cores.
func hogUsage(pid int, d time.Duration) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	ticks, err := statTicks(string(data))
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%.2f cores", float64(ticks)/100/d.Seconds())
}
