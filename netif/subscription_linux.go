package netif

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
}
