package loop

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCallbacksRunOnRunsGoroutine: every callback of a run runs on the
// goroutine that called Run (the loop's goroutine is not locked to an OS
// thread — tasks switch with it — but it is one goroutine).
func TestCallbacksRunOnRunsGoroutine(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	ids := map[string]bool{}
	for i := range 20 {
		l.CallLater(time.Duration(i)*time.Millisecond, func() {
			ids[goroutineHeader()] = true
			go func() {}() // give the scheduler a reason to move us
		})
	}
	mustRun(t, l)
	require.Equal(t, map[string]bool{goroutineHeader(): true}, ids, "goroutines the callbacks ran on")
}

// goroutineHeader is the calling goroutine's "goroutine N" stack header.
func goroutineHeader() string {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	h, _, _ := bytes.Cut(buf[:n], []byte(" ["))
	return string(h)
}
