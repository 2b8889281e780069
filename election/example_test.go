package election_test

import (
	"fmt"
	"time"

	"github.com/gocarp/gocarp/election"
)

// The driver loop with a virtual clock: wait until the deadline or the next
// packet, whichever comes first, step, perform the actions.
func Example() {
	m, err := election.New(election.Config{
		AdvBase: 1,
		AdvSkew: 100,
		Self:    election.AddrFrom4([4]byte{198, 51, 100, 2}),
	})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start

	// Packets the network will deliver: a better master's adverts at 1 s
	// and 2 s, then silence (it died).
	better := election.Advert{Src: election.AddrFrom4([4]byte{198, 51, 100, 1}), AdvBase: 1}
	packets := []struct {
		at time.Time
		ad election.Advert
	}{{start.Add(time.Second), better}, {start.Add(2 * time.Second), better}}

	perform := func(acts []election.Action) {
		for _, a := range acts {
			// A real caller sends the advert, runs hooks, sends the
			// gratuitous ARP here; then reports EventSendOK/SendError.
			fmt.Printf("%6.3fs %v\n", now.Sub(start).Seconds(), a)
		}
	}

	perform(m.Step(now, election.Event{Kind: election.EventStart}))
	for now.Before(start.Add(9 * time.Second)) {
		if len(packets) > 0 && packets[0].at.Before(m.Deadline()) {
			now = packets[0].at
			perform(m.Step(now, election.Event{Kind: election.EventAdvert, Advert: packets[0].ad}))
			packets = packets[1:]
			continue
		}
		now = m.Deadline()
		perform(m.Step(now, election.Event{Kind: election.EventTimeout}))
	}
	fmt.Println(m.State())
	// Output:
	//  0.000s transition INIT -> BACKUP (start)
	//  5.391s transition BACKUP -> MASTER (master down)
	//  5.391s gratuitous-arp (master down)
	//  5.391s send-advert advbase=1 advskew=100 demote=0 (master down)
	//  6.781s send-advert advbase=1 advskew=100 demote=0 (advert timer)
	//  8.172s send-advert advbase=1 advskew=100 demote=0 (advert timer)
	//  8.172s gratuitous-arp (delayed arp)
	//  9.562s send-advert advbase=1 advskew=100 demote=0 (advert timer)
	// MASTER
}
