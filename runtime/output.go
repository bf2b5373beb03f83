package runtime

import (
	"io"
	"sync"
)

// lockedWriter serialises the writes of several loops to one writer. Each
// print is one Write of a whole line, so lines never interleave, and a
// writer that is not safe for concurrent use (a bytes.Buffer) stays safe.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func newLockedWriter(w io.Writer) *lockedWriter { return &lockedWriter{w: w} }

// Write writes p to the underlying writer, one caller at a time.
func (lw *lockedWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.Write(p)
}

// orDefault returns w, or def if w is nil.
func orDefault(w, def io.Writer) io.Writer {
	if w == nil {
		return def
	}
	return w
}
