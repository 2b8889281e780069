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
