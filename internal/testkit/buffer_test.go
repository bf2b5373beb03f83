package testkit

import (
	"testing"
	"time"
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
	if got := o.String(); got != "hello\n" {
		t.Fatalf("String() = %q", got)
	}
}
