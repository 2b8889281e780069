package carp

import (
	"time"

	"github.com/gocarp/gocarp/election"
)

// The defaults of a group, in one place for the library, carpd's command
// line and its config file. They are ucarp's where ucarp has the setting.
const (
	// DefaultAdvBase is the advertisement base interval in seconds that a
	// zero Config.AdvBase means (ucarp's -b default). Sub-second mode
	// (advbase 0 on the wire) is asked for with Config.SubSecond.
	DefaultAdvBase = 1
	// DefaultDeadRatio is how many advert intervals a backup waits for the
	// master (ucarp's -r default).
	DefaultDeadRatio = election.DefaultDeadRatio
	// MaxDeadRatio bounds DeadRatio so that DeadRatio × 255 s stays far
	// inside a time.Duration; ucarp takes any unsigned int.
	MaxDeadRatio = election.MaxDeadRatio
	// DefaultDrainTimeout bounds how long Run waits for callbacks after the
	// group has stopped.
	DefaultDrainTimeout = 5 * time.Second
)

// Replay resistance (Config.Secure; the repeat check of compatible mode).
const (
	// SecureClockSkew is how far the clocks of a secure group's nodes may
	// be apart: a secure advert's counter is its sender's clock when it
	// sent it (Unix nanoseconds, then +1 per advert when the clock has not
	// moved on), and a receiver refuses one further than this from its
	// own clock (ErrStale). It is also, at most, how long a captured
	// advert can be replayed to a receiver that has not heard that source
	// since the capture. Keep the nodes on NTP.
	SecureClockSkew = 10 * time.Second
	// SecureSources is how many sources a secure group remembers the
	// last accepted counter of; an entry is forgotten 2 × SecureClockSkew
	// after its last accepted advert, when the freshness rule alone
	// refuses everything it would. With more live sources than this, the
	// least recently heard is forgotten early.
	SecureSources = 16
	// RecentAdverts is how many accepted (source, counter) pairs a
	// compatible group keeps to drop a repeat of one (ErrReplay).
	RecentAdverts = 32
)
