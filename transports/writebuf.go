package transports

// writeBuffer is a transport's queue of bytes waiting for the kernel. It
// holds copies (the caller's slices are never kept). Small writes are
// coalesced into the last chunk while it has room, so that many small writes
// to a slow peer cost few allocations and few iovecs.
type writeBuffer struct {
	chunks [][]byte // chunks[head:] are pending; chunks[head][off:] is next
	head   int
	off    int
	size   int
	spare  []byte   // a drained chunk kept for reuse
	iov    [][]byte // scratch for vectors
}

const (
	// minChunk is the capacity of a new chunk, so small writes can share it.
	minChunk = 16 << 10
	// maxSpare is the largest drained chunk kept for reuse.
	maxSpare = 64 << 10
	// maxIovecs bounds one writev; up to 8 iovecs stay on the stack in
	// x/sys/unix.
	maxIovecs = 8
)

// len returns the number of bytes pending. A nil buffer is empty.
func (b *writeBuffer) len() int {
	if b == nil {
		return 0
	}
	return b.size
}

// append copies p to the end of the buffer.
func (b *writeBuffer) append(p []byte) {
	if len(p) == 0 {
		return
	}
	b.size += len(p)
	if n := len(b.chunks); n > b.head {
		last := b.chunks[n-1]
		if cap(last)-len(last) >= len(p) {
			b.chunks[n-1] = append(last, p...)
			return
		}
	}
	var c []byte
	if len(p) <= cap(b.spare) {
		c = append(b.spare[:0], p...)
		b.spare = nil
	} else {
		c = make([]byte, len(p), max(len(p), minChunk))
		copy(c, p)
	}
	b.chunks = append(b.chunks, c)
}

// vectors returns up to maxIovecs slices covering the start of the pending
// bytes. They alias the buffer and are valid until the next change.
func (b *writeBuffer) vectors() [][]byte {
	if b == nil {
		return nil
	}
	b.iov = b.iov[:0]
	for i := b.head; i < len(b.chunks) && len(b.iov) < maxIovecs; i++ {
		c := b.chunks[i]
		if i == b.head {
			c = c[b.off:]
		}
		b.iov = append(b.iov, c)
	}
	return b.iov
}

// consume drops the first n pending bytes.
func (b *writeBuffer) consume(n int) {
	b.size -= n
	for n > 0 {
		c := b.chunks[b.head]
		rest := len(c) - b.off
		if n < rest {
			b.off += n
			return
		}
		n -= rest
		b.release(c)
		b.chunks[b.head] = nil
		b.head++
		b.off = 0
	}
	if b.head == len(b.chunks) {
		b.chunks = b.chunks[:0]
		b.head = 0
	} else if b.head >= 16 && 2*b.head >= len(b.chunks) {
		n := copy(b.chunks, b.chunks[b.head:])
		clear(b.chunks[n:])
		b.chunks = b.chunks[:n]
		b.head = 0
	}
	for i := range b.iov {
		b.iov[i] = nil
	}
}

// release keeps a drained chunk for reuse if it is not too large.
func (b *writeBuffer) release(c []byte) {
	if cap(c) <= maxSpare && cap(c) > cap(b.spare) {
		b.spare = c[:0]
	}
}

// reset drops everything pending.
func (b *writeBuffer) reset() {
	if b == nil {
		return
	}
	for i := range b.chunks {
		b.chunks[i] = nil
	}
	for i := range b.iov {
		b.iov[i] = nil
	}
	b.chunks = b.chunks[:0]
	b.head, b.off, b.size = 0, 0, 0
}
