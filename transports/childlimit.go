package transports

import (
	"fmt"
	"sync/atomic"
	"syscall"
)

// ChildLimit caps how many children SubprocessExec and SubprocessShell may
// have at once, across every loop that shares it (give each loop's
// SubprocessOptions the same *ChildLimit). A child counts from the call
// that starts it until the loop has reaped it; a call past the cap fails its
// Future at once with BlockingIOError (errno EAGAIN, as fork fails when the
// kernel's process limit is reached) and starts nothing. A nil *ChildLimit
// caps nothing. It is safe for concurrent use.
type ChildLimit struct {
	max     int64
	hint    string
	running atomic.Int64
}

// NewChildLimit returns a limit of max children. hint ends the error a call
// past the cap fails with, and should say how to raise the cap (the
// starnet command passes "raise it with --max-children"). max must be
// positive.
func NewChildLimit(max int, hint string) *ChildLimit {
	return &ChildLimit{max: int64(max), hint: hint}
}

// Max returns the cap.
func (c *ChildLimit) Max() int { return int(c.max) }

// Running returns how many children count against the cap now.
func (c *ChildLimit) Running() int { return int(c.running.Load()) }

// acquire counts one child more, or fails if the cap is reached.
func (c *ChildLimit) acquire() error {
	if c == nil {
		return nil
	}
	if c.running.Add(1) > c.max {
		c.running.Add(-1)
		msg := fmt.Sprintf("too many child processes: %d are running, the limit", c.max)
		if c.hint != "" {
			msg += "; " + c.hint
		}
		return &Error{Kind: KindBlockingIOError, Errno: syscall.EAGAIN, Message: msg}
	}
	return nil
}

// release counts one child less.
func (c *ChildLimit) release() {
	if c != nil {
		c.running.Add(-1)
	}
}
