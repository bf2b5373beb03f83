//go:build !starnet_nounsafe

package starlarkbind

import (
	"bytes"
	"runtime"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// fillRead stands in for a read: it writes n pattern bytes at the start of
// buf, as the kernel would, and returns them.
func fillRead(buf []byte, n int, seed byte) []byte {
	for i := range buf[:n] {
		buf[i] = seed + byte(i*7)
	}
	return buf[:n]
}

// sameMemory reports whether a and b start at the same address.
func sameMemory(a, b []byte) bool {
	return unsafe.SliceData(a) == unsafe.SliceData(b)
}

// TestRecvArenaValuesSurviveCollections makes values of many sizes, across
// several chunks, and checks that they, and Go strings sliced from them,
// keep their contents, hashes and equality through collections while
// nothing but the values refers to their chunks. (The tests about
// collections are not parallel.)
func TestRecvArenaValuesSurviveCollections(t *testing.T) {
	shared := make([]byte, 1<<10)
	a := newRecvArena(func() []byte { return shared })
	var vals []starlark.Value
	var wants []string
	var subs []string
	total := 0
	for i := 0; total < 3*recvChunkSize; i++ {
		n := 1 + (i*4099)%recvMinRead
		buf := a.buffer()
		require.GreaterOrEqual(t, len(buf), recvMinRead, "buffer size")
		want := string(fillRead(buf, n, byte(i)))
		v := a.value(n)
		vals = append(vals, v)
		wants = append(wants, want)
		subs = append(subs, string(v.(starlark.Bytes))[n/2:])
		total += n
	}
	a = nil // the arena's own reference to the current chunk goes too
	for round := 0; round < 3; round++ {
		runtime.GC()
		garbage := make([][]byte, 0, 1000)
		for i := 0; i < 1000; i++ {
			garbage = append(garbage, bytes.Repeat([]byte{0xee}, 1+i*37%5000))
		}
		_ = garbage
	}
	for i, v := range vals {
		b, ok := v.(starlark.Bytes)
		require.Truef(t, ok, "value %d is %T", i, v)
		want := wants[i]
		require.Equalf(t, want, string(b), "value %d (%d bytes) changed", i, len(want))
		require.Equalf(t, want[len(want)/2:], subs[i], "slice of value %d changed", i)
		h1, err := v.Hash()
		require.NoError(t, err)
		h2, err := starlark.Bytes(want).Hash()
		require.NoError(t, err)
		require.Equalf(t, h2, h1, "hash of value %d", i)
		eq, err := starlark.Equal(v, starlark.Bytes(want))
		require.NoError(t, err)
		require.Truef(t, eq, "value %d is not equal to its copy", i)
	}
}

// TestRecvArenaEmptyValue checks that a read of nothing makes b"".
func TestRecvArenaEmptyValue(t *testing.T) {
	t.Parallel()
	a := newRecvArena(func() []byte { return make([]byte, 16) })
	a.buffer()
	require.Equal(t, starlark.Value(starlark.Bytes("")), a.value(0), "value(0)")
}

// TestRecvArenaBoundsLiveChunks keeps a value from every chunk, so that no
// chunk can be collected: after recvMaxLiveChunks chunks, reads go to the
// shared buffer and values are copies of it. Once the values are dropped
// and collected, reads go to new chunks again.
func TestRecvArenaBoundsLiveChunks(t *testing.T) {
	shared := make([]byte, 1<<10)
	a := newRecvArena(func() []byte { return shared })
	var kept []starlark.Value
	chunks := 0
	for chunks <= recvMaxLiveChunks {
		buf := a.buffer()
		if sameMemory(buf, shared) {
			break
		}
		// Fill what is left of the chunk past the least read, so that the
		// next buffer comes from a new chunk.
		n := len(buf) - recvMinRead + 1
		fillRead(buf, n, byte(chunks))
		kept = append(kept, a.value(n))
		chunks++
	}
	require.Equal(t, recvMaxLiveChunks, chunks, "chunks before reads went to the shared buffer")

	// Values made while the chunks are all kept alive are copies.
	buf := a.buffer()
	require.True(t, sameMemory(buf, shared), "a read past the bound did not go to the shared buffer")
	v := a.value(len(fillRead(buf, 100, 'a')))
	want := string(shared[:100])
	fillRead(shared, len(shared), 'z') // the next read overwrites the buffer
	require.Equal(t, want, string(v.(starlark.Bytes)), "a value made from the shared buffer changed with it")

	runtime.KeepAlive(kept) // the chunks were alive until here
	kept = nil
	runtime.GC()
	// The arena looks for collected chunks again every recvRecheckReads
	// reads, not at each one: reads go back to chunks within that many.
	copied := 0
	for ; copied <= recvRecheckReads; copied++ {
		if buf := a.buffer(); !sameMemory(buf, shared) {
			break
		}
		a.value(1)
	}
	require.Truef(t, copied >= 1 && copied <= recvRecheckReads, "after the collection, %d reads were copied; want 1 to %d", copied, recvRecheckReads)
}
