//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/internal/lab"
	"github.com/gocarp/gocarp/scripts/internal/benchstat"
)

// -mode handover: what a client of the VIP sees on a planned handover.
//
// The master m is carpd (-k 0, -z, a control socket); the backup b is carpd
// or ucarp (-k 100); neither preempts, so the VIP stays where it moves. The
// observer pings the VIP every -ping (1 ms) from the first answered request
// on, the master is told to hand over (-trigger: SIGTERM with -z, SIGUSR2,
// or carpd handover GROUP on its control socket), and the round ends one
// second after the backup's first advert. The outage of a round is the
// longest time between two consecutive answered requests minus the
// interval (0 when nothing was lost); the longest run of lost requests is
// reported beside it. Adverts from m after b's first one are counted: they
// would be two masters advertising.

// handoverResult is one round of -mode handover.
type handoverResult struct {
	backup, trigger string
	outage          time.Duration // longest gap between answered requests − the interval
	lost            int           // longest run of unanswered requests
	toAdvert        time.Duration // trigger → b's first advert
	masterAfter     int           // m's normal adverts after b's first
}

// handoverArgv is the command line of a node in -mode handover.
func (b *bench) handoverArgv(impl, host string, src string, skew string, round int) []string {
	bin := b.cfg.carpd
	if impl == "ucarp" {
		bin = b.cfg.ucarp
	}
	args := []string{bin, "-i", lab.Interface, "-s", src, "-v", "42", "-p", "benchpass",
		"-a", vip.String(), "-b", "1", "-k", skew, "-z", "-f", "none"}
	if impl == "carpd" && b.cfg.managed {
		args = append(args, "--manage-vips")
	} else {
		args = append(args, "-u", b.up, "-d", b.down)
	}
	if impl == "carpd" {
		// Never the default socket: that is the host's.
		args = append(args, "--control", b.controlPath(host, round))
	}
	return args
}

func (b *bench) controlPath(host string, round int) string {
	return filepath.Join(b.dir, fmt.Sprintf("%s-%d.sock", host, round))
}

func (b *bench) runHandover(ctx context.Context) error {
	w := b.out
	fmt.Fprintf(w, "mode:     handover: a client pings the VIP every %v during a planned handover\n", b.cfg.ping)
	fmt.Fprintf(w, "nodes:    master carpd %s\n", strings.Join(b.handoverArgv("carpd", "m", masterAddr.String(), "0", 0)[1:], " "))
	fmt.Fprintf(w, "          backup carpd|ucarp with -s %s -k 100, the same flags (ucarp: scripts, no --control)\n", backupAddr)
	fmt.Fprintf(w, "triggers: %s; backups %s; %d rounds each, interleaved\n\n", strings.Join(b.cfg.triggers, ", "), strings.Join(b.cfg.impls, ", "), b.cfg.rounds)
	began := time.Now()
	var results []handoverResult
	round := 0
	for i := range b.cfg.rounds {
		for _, tr := range b.cfg.triggers {
			for _, impl := range b.cfg.impls {
				round++
				r, err := b.handoverRound(ctx, impl, tr, round)
				if err != nil {
					if ctx.Err() != nil {
						return errors.New("interrupted; cleaned up")
					}
					return fmt.Errorf("backup %s, %s, round %d: %w", impl, tr, i+1, err)
				}
				results = append(results, r)
				fmt.Fprintf(w, "round %d %-8s backup %-5s  outage %s (longest lost run %d), trigger→backup's advert %s, master adverts after it %d\n",
					i+1, tr, impl, msecs(r.outage), r.lost, msecs(r.toAdvert), r.masterAfter)
			}
		}
	}
	fmt.Fprintf(w, "\n%d rounds in %s\n\n", len(results), time.Since(began).Round(time.Second))
	printHandoverTable(w, b.cfg, results)
	return nil
}

func (b *bench) handoverRound(ctx context.Context, impl, trigger string, n int) (r handoverResult, err error) {
	r.backup, r.trigger = impl, trigger
	var m, bk *lab.Process
	var pinger *lab.Pinger
	defer func() {
		if pinger != nil {
			pinger.Stop(0)
		}
		for _, p := range []*lab.Process{m, bk} {
			if p != nil {
				p.Stop(syscall.SIGTERM, 3*time.Second)
			}
		}
		cctx := context.WithoutCancel(ctx)
		for _, h := range []string{"m", "b"} {
			if e := b.lan.DelAddr(cctx, h, vip); e != nil {
				err = errors.Join(err, e)
			}
		}
	}()
	tag := fmt.Sprintf("%s-%d", trigger, n)
	t0 := time.Now()
	if m, err = b.startNamed("carpd", "m", tag, b.handoverArgv("carpd", "m", masterAddr.String(), "0", n)); err != nil {
		return r, err
	}
	if _, err = b.firstAfter(ctx, masterAddr, t0, 10*time.Second); err != nil {
		return r, err
	}
	if bk, err = b.startNamed(impl, "b", tag, b.handoverArgv(impl, "b", backupAddr.String(), "100", n)); err != nil {
		return r, err
	}
	if err := lab.Sleep(ctx, 1500*time.Millisecond+phase()); err != nil {
		return r, err
	}
	if pinger, err = lab.StartPinger(b.lan.Namespace("obs"), vip, b.cfg.ping); err != nil {
		return r, err
	}
	if err := lab.Sleep(ctx, 300*time.Millisecond); err != nil {
		return r, err
	}
	if o := pinger.Outage(time.Time{}, time.Now()); o.Answered == 0 || o.MaxLostRun > 0 {
		return r, fmt.Errorf("the client does not reach the VIP steadily before the handover: %+v", o)
	}

	tTrig := time.Now()
	switch trigger {
	case "sigterm":
		err = m.Signal(syscall.SIGTERM)
	case "sigusr2":
		err = m.Signal(syscall.SIGUSR2)
	case "handover":
		var out []byte
		out, err = exec.CommandContext(ctx, b.cfg.carpd, "handover", lab.Interface+"-42", "--control", b.controlPath("m", n)).CombinedOutput()
		if err != nil {
			err = fmt.Errorf("carpd handover: %w: %s", err, out)
		}
	}
	if err != nil {
		return r, err
	}
	first, err := b.firstAfter(ctx, backupAddr, tTrig, 10*time.Second)
	if err != nil {
		return r, err
	}
	if err := lab.Sleep(ctx, time.Second); err != nil {
		return r, err
	}
	end := time.Now()
	pinger.Stop(200 * time.Millisecond)
	o := pinger.Outage(tTrig.Add(-100*time.Millisecond), end)
	if o.Answered == 0 {
		return r, errors.New("no echo reply at all")
	}
	r.outage = max(o.MaxGap-b.cfg.ping, 0)
	if o.MaxLostRun == 0 {
		r.outage = 0
	}
	r.lost = o.MaxLostRun
	r.toAdvert = first.Time.Sub(tTrig)
	b.mu.Lock()
	for _, a := range b.adverts {
		if a.Src == masterAddr && a.Time.After(first.Time) && !a.BowOut() {
			r.masterAfter++
		}
	}
	b.mu.Unlock()
	return r, nil
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p float64) time.Duration { return benchstat.Percentile(ds, p) }

func printHandoverTable(w io.Writer, cfg config, results []handoverResult) {
	fmt.Fprintf(w, "client outage (ping every %v), longest gap between answered requests − %v: median [p90, max]\n", cfg.ping, cfg.ping)
	printHandoverRows(w, cfg, results, false)
	fmt.Fprintf(w, "\nlongest run of lost echo requests: median [p90, max]\n")
	printHandoverRows(w, cfg, results, true)
}

func printHandoverRows(w io.Writer, cfg config, results []handoverResult, lost bool) {
	fmt.Fprintf(w, "%-26s", "trigger")
	for _, impl := range cfg.impls {
		fmt.Fprintf(w, "  %-30s", "backup "+impl)
	}
	fmt.Fprintln(w)
	for _, tr := range cfg.triggers {
		fmt.Fprintf(w, "%-26s", map[string]string{"sigterm": "SIGTERM (-z)", "sigusr2": "SIGUSR2", "handover": "carpd handover"}[tr])
		for _, impl := range cfg.impls {
			var ds []time.Duration
			after := 0
			for _, r := range results {
				if r.trigger == tr && r.backup == impl {
					ds = append(ds, r.outage)
					after += r.masterAfter
				}
			}
			med, _, hi := stats(ds)
			cell := fmt.Sprintf("%s [%s, %s]", msecs(med), msecs(pct(ds, 90)), msecs(hi))
			if lost {
				var ls []time.Duration
				for _, r := range results {
					if r.trigger == tr && r.backup == impl {
						ls = append(ls, time.Duration(r.lost))
					}
				}
				m, _, h := stats(ls)
				cell = fmt.Sprintf("%d [%d, %d]", m, pct(ls, 90), h)
			}
			if after > 0 {
				cell += fmt.Sprintf(" !%d master adverts after", after)
			}
			fmt.Fprintf(w, "  %-30s", cell)
		}
		fmt.Fprintln(w)
	}
}
