package testkit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOutputWaitForWakesOnWrite: WaitFor returns once another goroutine
// writes the text, in pieces.
func TestOutputWaitForWakesOnWrite(t *testing.T) {
	o := NewOutput()
	go func() {
		_, _ = o.Write([]byte("hel"))
		_, _ = o.Write([]byte("lo\n"))
	}()
	o.WaitFor(t, "hello\n", 10*time.Second)
	require.Equal(t, "hello\n", o.String())
}
