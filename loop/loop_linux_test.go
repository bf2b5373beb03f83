//go:build linux

package loop

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestCallbacksRunOnOneLockedThread: every callback of a run runs on the
// same OS thread, even when callbacks give the scheduler reasons to move
// the goroutine.
func TestCallbacksRunOnOneLockedThread(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	tids := map[int]bool{}
	for i := range 20 {
		l.CallLater(time.Duration(i)*time.Millisecond, func() {
			tids[unix.Gettid()] = true
			go func() {}() // give the scheduler a reason to move us
		})
	}
	mustRun(t, l)
	require.Len(t, tids, 1, "threads the callbacks ran on")
}
