// Command httpvip is an HTTP service that answers only while its host is
// the CARP MASTER of a virtual IP: a leader on the LAN without a
// consensus store. Run it on two or more hosts with the same -vhid, -vip
// and password; the one with the lowest -skew serves, and when it dies or
// stops another takes over, VIP and service together.
//
//	sudo CARP_PASSWORD=secret httpvip -i eth0 -vhid 42 -vip 198.51.100.100/24 -skew 0
//	curl http://198.51.100.100:8080/
//
// It is carpnet and carp.Config.WhileMaster, nothing more: the server
// runs with a context that ends the moment the host stops being MASTER.
// Linux only, as root (CAP_NET_RAW and CAP_NET_ADMIN).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gocarp/gocarp/carp"
	"github.com/gocarp/gocarp/carpnet"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "httpvip:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		iface = flag.String("i", "eth0", "interface")
		vhid  = flag.Uint("vhid", 42, "CARP virtual host ID, 1..255")
		vip   = flag.String("vip", "", "the virtual IP with its prefix, e.g. 198.51.100.100/24 (required)")
		skew  = flag.Uint("skew", 0, "advskew: the lowest is preferred")
		port  = flag.Int("port", 8080, "TCP port served on the VIP")
		name  = flag.String("name", "", "what the service answers (default: the host name)")
	)
	flag.Parse()
	prefix, err := netip.ParsePrefix(*vip)
	if err != nil {
		return fmt.Errorf("-vip: %w", err)
	}
	password := os.Getenv("CARP_PASSWORD")
	if password == "" {
		return errors.New("set the group's password in $CARP_PASSWORD")
	}
	if *name == "" {
		*name, _ = os.Hostname()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	ifc, err := carpnet.Open(carpnet.Config{Interface: *iface, Logger: log})
	if err != nil {
		return err
	}
	defer ifc.Close()
	g, err := ifc.NewGroup(carp.Config{
		VHID:     uint8(*vhid),
		VIPs:     []netip.Addr{prefix.Addr()},
		Password: []byte(password),
		AdvSkew:  uint8(*skew),
		Preempt:  true,
		Logger:   log,
		// Serve while MASTER: the ctx ends when mastership does.
		WhileMaster: func(ctx context.Context, t carp.Transition) {
			serve(ctx, log, net.JoinHostPort(prefix.Addr().String(), strconv.Itoa(*port)), *name)
		},
	}, carpnet.VIPPrefixes(prefix))
	if err != nil {
		return err
	}
	go func() { _ = ifc.Run(ctx) }()
	log.Info("httpvip running", "vip", prefix, "vhid", *vhid, "skew", *skew)
	if err := g.Run(ctx); err != nil && !errors.Is(err, carp.ErrStopped) {
		return err
	}
	return nil
}

// serve answers on addr until ctx ends. The VIP may still be on its way to
// the interface: the listener is retried for a moment.
func serve(ctx context.Context, log *slog.Logger, addr, name string) {
	srv := &http.Server{
		Addr: addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s is MASTER\n", name)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	var ln net.Listener
	for {
		var err error
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("serving", "addr", addr)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serving", "err", err)
	}
	log.Info("stopped serving", "addr", addr)
}
