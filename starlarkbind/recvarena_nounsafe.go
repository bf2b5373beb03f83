//go:build starnet_nounsafe

// The copying variant of recvarena.go, built with the starnet_nounsafe tag:
// no header is written by hand, every received bytes value is a copy made
// by starlark.Bytes, and the data a script writes is copied out of its
// string (readOnlyBytes). It behaves the same and costs one more
// allocation per value; it exists so that a platform or toolchain whose string or
// interface layout differs (see TestUnsafeHeaderLayout) still has a build.

package starlarkbind

import (
	"weak"

	"go.starlark.net/starlark"
)

const (
	// recvMaxLiveChunks is the bound the default build keeps on chunks;
	// the copying arena has none.
	recvMaxLiveChunks = 32
	// maxPackedBytes is the default build's packing bound (the copying
	// newBytes packs nothing).
	maxPackedBytes = 512
)

// recvArena hands the stream transports of one loop the memory they read
// into, and makes bytes values of what they read: here always the loop's
// shared read buffer, copied out of.
type recvArena struct {
	chunks []weak.Pointer[byte] // always empty: no chunk is ever made
	shared func() []byte        // the loop's shared read buffer
}

// newRecvArena returns an arena that reads into shared's buffer.
func newRecvArena(shared func() []byte) *recvArena {
	return &recvArena{shared: shared}
}

// buffer returns the memory the next read goes into.
func (a *recvArena) buffer() []byte { return a.shared() }

// value returns a copy of the n bytes the last read put in the buffer.
func (a *recvArena) value(n int) starlark.Value { return newBytes(a.shared()[:n]) }

// newBytes returns a bytes value holding a copy of data.
func newBytes(data []byte) starlark.Value { return starlark.Bytes(data) }

// readOnlyBytes returns a copy of the bytes of s (nil for "").
func readOnlyBytes(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return []byte(s)
}
