// Package hooks runs carpd's up and down scripts the way ucarp does — exec'd
// directly, without a shell, as `script <interface> <vip> [xparam]` — but
// without ever blocking the protocol: scripts go into an unbounded FIFO queue
// served by one goroutine, so they run strictly one at a time and in order.
//
// Each script runs in its own process group; one that outlives the timeout is
// killed together with everything it started. Its stdout (info) and stderr
// (warn) are logged line by line with the script's name, and so is its exit
// status. A missing or non-executable script is logged as an error and the
// queue goes on.
//
// A sketch of how carpd drives it:
//
//	r := hooks.New(logger, opts.ScriptTimeout)
//	// on a transition to MASTER (never waits for the script):
//	for _, vip := range opts.VIPs {
//		r.Enqueue(opts.UpScript, hooks.ScriptArgs(opts.Interface, vip, opts.XParam)...)
//	}
//	// at exit: let queued scripts finish, but not for ever.
//	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
//	defer cancel()
//	_ = r.Close(ctx)
package hooks
