package netif

import (
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
)

// subscription is a netlink subscription (link or address updates); ch is
// nil when there is none.
type subscription[T any] struct {
	ch   chan T
	done chan struct{}
}

// stop ends the subscription and waits for its goroutine, which closes ch.
func (s *subscription[T]) stop() {
	if s.done == nil {
		return
	}
	close(s.done)
	s.done = nil
	if s.ch != nil {
		for range s.ch { // the receiver may be blocked sending
		}
	}
	s.ch = nil
}

// resubscribeAfter is how old a subscription must be before a lost one is
// replaced at once rather than at the caller's next periodic check, so a
// broken socket cannot spin a loop.
const resubscribeAfter = time.Second

// feed keeps a subscription open across failures. A subscription dies when
// its socket's buffer overruns or a receive fails; notifications may then
// have been lost, and the caller must read the state afresh.
type feed[T any] struct {
	open   func() (subscription[T], error)
	sub    subscription[T]
	opened time.Time
}

// start opens the first subscription.
func (f *feed[T]) start() error {
	s, err := f.open()
	f.sub, f.opened = s, time.Now()
	return err
}

// C returns the channel of notifications; nil, which blocks forever in a
// select, while there is no subscription.
func (f *feed[T]) C() <-chan T { return f.sub.ch }

// lost is called when C was closed: it resubscribes now unless the lost
// subscription was young (then retry does it).
func (f *feed[T]) lost() {
	f.sub.stop()
	if time.Since(f.opened) > resubscribeAfter {
		f.retry()
	}
}

// retry resubscribes if there is no subscription; callers call it
// periodically. A failure leaves none, for the next retry.
func (f *feed[T]) retry() {
	if f.sub.ch != nil {
		return
	}
	f.sub.stop()
	if s, err := f.open(); err == nil {
		f.sub, f.opened = s, time.Now()
	}
}

// stop ends the subscription.
func (f *feed[T]) stop() { f.sub.stop() }

// subscribeAddrs subscribes to the address notifications of ns (nil: the
// caller's). onErr, if not nil, hears receive failures; a failure ends the
// subscription.
func subscribeAddrs(ns *Namespace, onErr func(error)) (subscription[netlink.AddrUpdate], error) {
	s := subscription[netlink.AddrUpdate]{ch: make(chan netlink.AddrUpdate, 64), done: make(chan struct{})}
	done := s.done
	err := netlink.AddrSubscribeWithOptions(s.ch, s.done, netlink.AddrSubscribeOptions{
		Namespace: ns.nsHandle(),
		ErrorCallback: func(err error) {
			select {
			case <-done:
				return // our own stop closed the socket under the reader
			default:
			}
			if onErr != nil {
				onErr(err)
			}
		},
	})
	if err != nil {
		close(s.done)
		return subscription[netlink.AddrUpdate]{}, fmt.Errorf("netif: subscribe to address notifications: %w", err)
	}
	return s, nil
}

// subscribeLinks subscribes to the link notifications of ns (nil: the
// caller's).
func subscribeLinks(ns *Namespace) (subscription[netlink.LinkUpdate], error) {
	s := subscription[netlink.LinkUpdate]{ch: make(chan netlink.LinkUpdate, 64), done: make(chan struct{})}
	err := netlink.LinkSubscribeWithOptions(s.ch, s.done, netlink.LinkSubscribeOptions{
		Namespace: ns.nsHandle(),
	})
	if err != nil {
		close(s.done)
		return subscription[netlink.LinkUpdate]{}, fmt.Errorf("netif: subscribe to link notifications: %w", err)
	}
	return s, nil
}
