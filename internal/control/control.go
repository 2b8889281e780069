// Package control is carpd's control socket: a unix socket, readable and
// writable by its owner only (root), on which `carpd status` and the
// subcommands to come ask the running daemon. One request per connection,
// one JSON object each way:
//
//	→ {"command":"status"}
//	← {"ok":true,"status":{"groups":[...]}}
//
// A request is at most MaxRequest bytes; a client that sends more, or
// nothing for RequestTimeout, is dropped. The daemon answers from its
// serialized API (Handler), never from the protocol's goroutines.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Limits on what a client may send.
const (
	MaxRequest     = 64 << 10
	RequestTimeout = 5 * time.Second
	// AnswerTimeout bounds the daemon's work on a request: a reload that
	// removes groups waits for their bow-out and down scripts.
	AnswerTimeout = 2 * time.Minute
)

var (
	// ErrNotRunning: no daemon listens on the socket.
	ErrNotRunning = errors.New("no carpd is running there")
	// ErrPermission: the socket is not ours to talk to.
	ErrPermission = errors.New("permission denied (the control socket is root's: run as root)")
	// ErrInUse: another daemon listens on the socket already.
	ErrInUse = errors.New("another carpd serves this control socket")
)

// Request is what a client asks: "status"; "handover" (Groups, or every
// group when empty); "demote" (one group in Groups, Demote and Reason, or
// Clear); "reload".
type Request struct {
	Command string   `json:"command"`
	Groups  []string `json:"groups,omitempty"`
	Demote  uint8    `json:"demote,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Clear   bool     `json:"clear,omitempty"`
}

// Response is the daemon's answer.
type Response struct {
	OK     bool    `json:"ok"`
	Error  string  `json:"error,omitempty"`
	Status *Status `json:"status,omitempty"`
	// Done says what a command did, a line per group.
	Done []string `json:"done,omitempty"`
}

// Status is every group of the daemon, in config order.
type Status struct {
	Groups []GroupStatus `json:"groups"`
	// Links are the interfaces the groups run on, by name, with what
	// their links dropped before any group saw it (own packets, a vhid
	// nobody here runs, ...).
	Links []LinkStatus `json:"links,omitempty"`
	// Checks are the health checks of the config, in its order.
	Checks []CheckStatus `json:"checks,omitempty"`
}

// LinkStatus is one interface's link.
type LinkStatus struct {
	Interface string            `json:"interface"`
	Received  uint64            `json:"received"`
	Delivered uint64            `json:"delivered"`
	Dropped   map[string]uint64 `json:"dropped,omitempty"`
}

// CheckStatus is one health check ([[check]]).
type CheckStatus struct {
	Name string `json:"name"`
	// Up is the check's state after rise/fall: a check starts down and
	// is up after rise successes in a row.
	Up bool `json:"up"`
	// Since is when Up last changed (the start, while it never has).
	Since time.Time `json:"since"`
	// Runs and Failures count every run; a run killed at its timeout is
	// a failure.
	Runs     uint64 `json:"runs"`
	Failures uint64 `json:"failures"`
	// LastError is why the last failed run failed; "" after a success.
	LastError string `json:"last_error,omitempty"`
	// Groups are the groups the check demotes while down, and Demote by
	// how much.
	Groups []string `json:"groups,omitempty"`
	Demote uint8    `json:"demote"`
}

// GroupStatus is one group as carpd status shows it.
type GroupStatus struct {
	Name      string   `json:"name"`
	Interface string   `json:"interface"`
	VHID      uint8    `json:"vhid"`
	VIPs      []string `json:"vips"`
	State     string   `json:"state"`
	// Leaving: a MASTER that bowed out and serves until the new master's
	// first advert (the make-before-break handover).
	Leaving bool `json:"leaving,omitempty"`
	// Since and Reason are those of the last transition.
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
	// Master is the master as the group knows it; "" when none is heard.
	Master string `json:"master,omitempty"`
	// AdvBase and AdvSkew are what the group advertises now.
	AdvBase uint8 `json:"advbase"`
	AdvSkew uint8 `json:"advskew"`
	Demote  uint8 `json:"demote"`
	// DemoteSources are the parts of Demote: "operator" (carpd demote)
	// and, to come, each check and tracked interface.
	DemoteSources   map[string]uint8  `json:"demote_sources,omitempty"`
	Transitions     uint64            `json:"transitions"`
	AdvertsSent     uint64            `json:"adverts_sent"`
	AdvertsReceived uint64            `json:"adverts_received"`
	SendErrors      uint64            `json:"send_errors"`
	Announcements   uint64            `json:"announcements"`
	AnnounceErrors  uint64            `json:"announce_errors"`
	Dropped         map[string]uint64 `json:"dropped,omitempty"`
	// Checks, TrackInterfaces and Sync are the group's config: its
	// health checks, its tracked interfaces, and the sync set it is in.
	Checks          []string `json:"checks,omitempty"`
	TrackInterfaces []string `json:"track_interfaces,omitempty"`
	Sync            string   `json:"sync,omitempty"`
	// Secure: the group speaks gocarp's secure mode (only gocarp peers
	// accept its adverts).
	Secure bool `json:"secure,omitempty"`
}

// Handler is the daemon's side. Errors go back to the client as they are.
type Handler interface {
	Status() Status
	// HandOver makes the named groups (every group when none) bow out
	// if MASTER, and says what each did.
	HandOver(groups []string) ([]string, error)
	// Demote sets the operator's demotion of a group (0 clears it).
	Demote(group string, n uint8, reason string) ([]string, error)
	// Reload reads the config file again and applies what changed; it
	// says what it did, or why it refused (then nothing changed).
	Reload() ([]string, error)
}

// Listen creates the socket at path, owner-only. A socket left behind by a
// daemon that died is replaced; one a live daemon answers on is ErrInUse.
func Listen(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control socket %s: exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			_ = c.Close()
			return nil, fmt.Errorf("control socket %s: %w", path, ErrInUse)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control socket %s: %w", path, err)
		}
	}
	ln, err := listenOwnerOnly(path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return ln, nil
}

// Serve answers on ln until ctx ends, then closes ln (which removes the
// socket) and waits for the connections it is serving.
func Serve(ctx context.Context, ln net.Listener, h Handler, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				log.Warn("control socket", "err", err)
				continue
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveConn(c, h, log)
		}()
	}
	wg.Wait()
}

func serveConn(c net.Conn, h Handler, log *slog.Logger) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(RequestTimeout))
	var req Request
	resp := Response{}
	// ReadBytes, not ReadSlice: a line may be longer than the buffer, up
	// to MaxRequest (the limit reader).
	r := bufio.NewReaderSize(io.LimitReader(c, MaxRequest), 4096)
	line, err := r.ReadBytes('\n')
	switch {
	case err != nil && !(errors.Is(err, io.EOF) && len(line) > 0):
		resp.Error = "a request is one JSON object on one line, at most 64 KiB"
	case json.Unmarshal(line, &req) != nil:
		resp.Error = "a request is one JSON object on one line, at most 64 KiB"
	default:
		_ = c.SetDeadline(time.Now().Add(AnswerTimeout))
		var err error
		switch req.Command {
		case "status":
			st := h.Status()
			resp.Status = &st
		case "handover":
			resp.Done, err = h.HandOver(req.Groups)
		case "reload":
			resp.Done, err = h.Reload()
		case "demote":
			switch {
			case len(req.Groups) != 1:
				err = errors.New("demote takes one group")
			case req.Clear && req.Demote != 0:
				err = errors.New("demote: a count or --clear, not both")
			case !req.Clear && req.Demote == 0:
				err = errors.New("demote: give a count of 1..255, or --clear")
			case !req.Clear && req.Reason == "":
				err = errors.New("demote: give a --reason, for the log and carpd status")
			default:
				resp.Done, err = h.Demote(req.Groups[0], req.Demote, req.Reason)
			}
		default:
			err = fmt.Errorf("unknown command %q", req.Command)
		}
		if err != nil {
			resp.Error = err.Error()
		} else {
			resp.OK = true
		}
	}
	if err := json.NewEncoder(c).Encode(resp); err != nil {
		log.Debug("control socket: answering", "err", err)
	}
	drain(c, r)
}

// DrainTimeout bounds how long a connection stays open after its answer
// for the client to finish sending.
const DrainTimeout = time.Second

// drain ends the answer, then reads and discards what the client sent
// after its first line, up to MaxRequest in all: closing a unix socket
// with unread data resets it, and the client, still writing, would see
// ECONNRESET in place of the answer already sent. A client that sends
// more than MaxRequest, or keeps sending past DrainTimeout, is reset.
func drain(c net.Conn, r io.Reader) {
	if u, ok := c.(*net.UnixConn); ok {
		_ = u.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(DrainTimeout))
	_, _ = io.Copy(io.Discard, r)
}

// Ask sends req to the daemon at path and returns its answer. The errors
// say what is wrong: ErrNotRunning, ErrPermission, or the daemon's own.
func Ask(path string, req Request) (*Response, error) {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("%s: %w", path, ErrNotRunning)
	case errors.Is(err, os.ErrPermission):
		return nil, fmt.Errorf("%s: %w", path, ErrPermission)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(RequestTimeout + AnswerTimeout))
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var resp Response
	if err := json.NewDecoder(io.LimitReader(c, 16<<20)).Decode(&resp); err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", path, err)
	}
	if !resp.OK {
		return &resp, fmt.Errorf("%s: %s", path, resp.Error)
	}
	return &resp, nil
}
