package election

import "time"

// Reconfigure changes the machine's settings in place, keeping its state:
// AdvBase, AdvSkew, DeadRatio, Preempt, TieBreak and Demotion take effect
// at once (cfg.Self, when zero, keeps the current source). A MASTER whose
// advert got worse advertises at once, so that a better backup can take
// over now; otherwise its next advert goes at its usual time with the new
// values, and a BACKUP uses them from the next advert it hears. A cfg New
// would refuse is refused, and nothing changes. The slice of actions is
// reused as Step's is.
func (m *Machine) Reconfigure(now time.Time, cfg Config) ([]Action, error) {
	if !cfg.Self.IsValid() {
		cfg.Self = m.cfg.Self
	}
	if _, err := New(cfg); err != nil {
		return nil, err
	}
	if cfg.DeadRatio == 0 {
		cfg.DeadRatio = DefaultDeadRatio
	}
	m.out = m.out[:0]
	m.cfg = cfg
	m.priorityChanged(now, ReasonReconfigured)
	return m.out, nil
}
