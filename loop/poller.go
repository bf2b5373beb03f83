package loop

// interest is the set of readiness events watched for, or reported on, a
// file descriptor.
type interest uint8

const (
	interestRead interest = 1 << iota
	interestWrite
)

// pollEvent is one readiness report from the poller.
type pollEvent struct {
	fd int32
	ev interest
}

// maxPollEvents bounds how many readiness reports one poll returns; the rest
// are picked up by the next poll (the poller is level-triggered).
const maxPollEvents = 256

// poller is the per-OS readiness mechanism (epoll, kqueue). It is used only
// on the loop's goroutine and is level-triggered.
type poller interface {
	// update changes what fd is watched for from old to new; either may be
	// zero (zero old: start watching; zero new: stop watching). Stopping to
	// watch a descriptor that was already closed is not an error.
	update(fd int, old, new interest) error
	// wait blocks until a descriptor is ready or timeoutMs milliseconds have
	// passed (negative: no limit), stores the reports in events and returns
	// how many there are. An interrupted wait returns zero reports.
	wait(events []pollEvent, timeoutMs int) (int, error)
	// close releases the poller's descriptor.
	close() error
}
