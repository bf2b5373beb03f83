package testkit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLinesWaitLine: WaitLine finds a line written in pieces, consumes the
// lines before it, and String keeps everything, the partial line included.
func TestLinesWaitLine(t *testing.T) {
	t.Parallel()
	l := NewLines()
	go func() {
		_, _ = l.Write([]byte("one\nlisten"))
		_, _ = l.Write([]byte("ing on 1.2.3.4:5\nthree\npart"))
	}()
	require.Equal(t, "listening on 1.2.3.4:5", l.WaitLine(t, "listening on "))
	require.Equal(t, "three", l.WaitLine(t, ""))
	require.Equal(t, "one\nlistening on 1.2.3.4:5\nthree\npart", l.String())
}
