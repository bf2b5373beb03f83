package transports

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The write buffer returns exactly the bytes appended, in order, through
// any mix of appends, vectors and partial consumes.
func TestWriteBufferQueue(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(7))
	var b writeBuffer
	var want, got bytes.Buffer
	for step := 0; step < 6000; step++ {
		if rng.Intn(3) > 0 {
			n := rng.Intn(30000)
			if rng.Intn(4) == 0 {
				n = rng.Intn(16)
			}
			p := make([]byte, n)
			rng.Read(p)
			b.append(p)
			want.Write(p)
			continue
		}
		vecs := b.vectors()
		require.LessOrEqual(t, len(vecs), maxIovecs, "%d vectors", len(vecs))
		total := 0
		for _, v := range vecs {
			total += len(v)
		}
		if total == 0 {
			require.Equal(t, 0, b.len(), "no vectors for %d pending bytes", b.len())
			continue
		}
		n := rng.Intn(total) + 1
		left := n
		for _, v := range vecs {
			k := min(left, len(v))
			got.Write(v[:k])
			left -= k
			if left == 0 {
				break
			}
		}
		b.consume(n)
	}
	for b.len() > 0 {
		for _, v := range b.vectors() {
			got.Write(v)
			b.consume(len(v))
		}
	}
	require.True(t, bytes.Equal(got.Bytes(), want.Bytes()), "read back %d bytes that differ from the %d appended", got.Len(), want.Len())
	assert.Empty(t, b.chunks, "empty buffer keeps state: %d chunks, head %d, off %d", len(b.chunks), b.head, b.off)
	assert.Equal(t, 0, b.head, "empty buffer keeps state: %d chunks, head %d, off %d", len(b.chunks), b.head, b.off)
	assert.Equal(t, 0, b.off, "empty buffer keeps state: %d chunks, head %d, off %d", len(b.chunks), b.head, b.off)
}
