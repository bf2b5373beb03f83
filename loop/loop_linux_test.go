//go:build linux

package loop

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestCallbacksRunOnOneLockedThread(t *testing.T) {
	l, _ := newTestLoop(t)
	tids := map[int]bool{}
	for i := range 20 {
		l.CallLater(time.Duration(i)*time.Millisecond, func() {
			tids[unix.Gettid()] = true
			go func() {}() // give the scheduler a reason to move us
		})
	}
	mustRun(t, l)
	if len(tids) != 1 {
		t.Fatalf("callbacks ran on %d threads", len(tids))
	}
}
