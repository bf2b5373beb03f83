//go:build !starnet_nounsafe

// This file holds all of starlarkbind's unsafe code: the code that writes
// string and interface headers into memory the collector does not scan
// (the receive arena and newBytes), and the read-only view of a string's
// bytes (readOnlyBytes). Its layout assumptions are pinned by
// TestUnsafeHeaderLayout; the copying variant, recvarena_nounsafe.go, is
// built with the starnet_nounsafe tag (CI builds and tests both).

package starlarkbind

import (
	"slices"
	"strings"
	"unsafe"
	"weak"

	"go.starlark.net/starlark"
)

// Received stream data reaches data_received as bytes values made in place:
// the socket is read straight into a chunk of memory the loop owns, and
// the bytes the kernel wrote there become the value, its string header
// written just before them. A read then costs no copy and no allocation;
// one chunk (allocated without zeroing) serves many reads, and is freed by
// the collector once no value made from it is left.
//
// A value keeps its whole chunk alive. So that scripts which keep values
// (or slices of them, which share memory) cannot pin many chunks, a loop
// has at most recvMaxLiveChunks chunks not yet collected: past that,
// reads go to the loop's shared read buffer and each value is a copy,
// until the collector has freed chunks again.

const (
	// recvChunkSize is the size of one chunk.
	recvChunkSize = 512 << 10
	// recvMinRead is the least room a read is given: a chunk with less
	// left is retired and a new one started. It is also the most a
	// retired chunk wastes.
	recvMinRead = 128 << 10
	// recvMaxLiveChunks bounds the chunks of one loop that values keep
	// alive (recvMaxLiveChunks × recvChunkSize bytes).
	recvMaxLiveChunks = 32
	// recvRecheckReads is how many reads are copied, once the bound is
	// reached, before the arena looks again for collected chunks.
	recvRecheckReads = 64
)

// recvArena hands the stream transports of one loop the memory they read
// into, and makes bytes values of what they read. It is used on the loop's
// goroutine only. It follows its chunks with weak pointers, which the
// collector clears once no value made from a chunk is left.
type recvArena struct {
	chunk   []byte               // the current chunk; chunk[off:] is free
	off     int                  // where the next value's header goes (aligned)
	copying bool                 // the last buffer was the loop's: copy out of it
	recheck int                  // reads to copy before looking for collected chunks again
	chunks  []weak.Pointer[byte] // the chunks made and maybe not yet collected
	shared  func() []byte        // the loop's shared read buffer
}

// newRecvArena returns an arena that falls back on shared's buffer.
func newRecvArena(shared func() []byte) *recvArena {
	return &recvArena{shared: shared}
}

// buffer returns the memory the next read goes into: the free end of the
// current chunk (past room for the value's header), a new chunk when that
// is too short, or the loop's shared buffer while too many chunks are
// alive.
func (a *recvArena) buffer() []byte {
	if len(a.chunk)-a.off < stringHeaderSize+recvMinRead && !a.refill() {
		a.copying = true
		return a.shared()
	}
	a.copying = false
	return a.chunk[a.off+stringHeaderSize:]
}

// refill retires the current chunk and starts a new one, unless
// recvMaxLiveChunks chunks are alive.
func (a *recvArena) refill() bool {
	a.chunk, a.off = nil, 0
	if len(a.chunks) >= recvMaxLiveChunks {
		if a.recheck > 0 {
			a.recheck--
			return false
		}
		a.chunks = slices.DeleteFunc(a.chunks, func(p weak.Pointer[byte]) bool { return p.Value() == nil })
		if len(a.chunks) >= recvMaxLiveChunks {
			a.recheck = recvRecheckReads
			return false
		}
	}
	a.chunk = makeNoZero(recvChunkSize)
	a.chunks = append(a.chunks, weak.Make(&a.chunk[0]))
	return true
}

// value returns the bytes value of the n bytes the last read put in the
// buffer that buffer returned, and moves past them.
func (a *recvArena) value(n int) starlark.Value {
	if a.copying {
		return newBytes(a.shared()[:n])
	}
	if n == 0 {
		return starlark.Bytes("")
	}
	hdr := unsafe.Pointer(&a.chunk[a.off])
	// The header is stored as two words, not as a string: a string store
	// would go through the write barrier, which reads the old contents as
	// a pointer, and the chunk's memory was not zeroed.
	*(*[2]uintptr)(hdr) = [2]uintptr{uintptr(unsafe.Pointer(&a.chunk[a.off+stringHeaderSize])), uintptr(n)}
	a.off = alignUp(a.off+stringHeaderSize+n, stringHeaderAlign)
	return bytesAt((*string)(hdr))
}

// bytesAt returns the bytes value whose string header is *hdr, without
// copying the header: the interface's data word points at it.
func bytesAt(hdr *string) starlark.Value {
	v := starlark.Value(starlark.Bytes("")) // the interface's type word
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(hdr)
	return v
}

// stringHeaderAlign is the alignment a string header needs.
const stringHeaderAlign = int(unsafe.Alignof(""))

// alignUp rounds n up to a multiple of align (a power of two).
func alignUp(n, align int) int { return (n + align - 1) &^ (align - 1) }

// makeNoZero returns n bytes of fresh memory that holds no pointers,
// without zeroing it first (strings.Builder's growth does not zero; the
// caller overwrites every byte it hands out).
func makeNoZero(n int) []byte {
	var b strings.Builder
	b.Grow(n)
	b.WriteByte(0)
	s := b.String()
	return unsafe.Slice(unsafe.StringData(s), n)
}

// Received data becomes an immutable bytes value: one copy out of the
// loop's shared read buffer, in one allocation up to maxPackedBytes. (A
// read straight into memory that becomes the value costs as much: Go
// zeroes what it allocates for a read, where a copy is allocated without
// zeroing.)

// newBytes returns a bytes value holding a copy of data. Up to
// maxPackedBytes, the string header that the interface value points to
// and the bytes share one allocation, which holds no pointer the
// collector must follow (the header points into its own block, which the
// interface's pointer keeps alive): one allocation instead of two.
func newBytes(data []byte) starlark.Value {
	n := len(data)
	if n == 0 || n > maxPackedBytes {
		return starlark.Bytes(data)
	}
	block := make([]byte, stringHeaderSize+n)
	copy(block[stringHeaderSize:], data)
	hdr := (*string)(unsafe.Pointer(&block[0]))
	*hdr = unsafe.String(&block[stringHeaderSize], n)
	v := starlark.Value(starlark.Bytes("")) // the interface's type word
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(hdr)
	return v
}

// readOnlyBytes returns the bytes of s without copying (nil for ""): the
// slice aliases an immutable string, so it must only be read (bytesOf).
func readOnlyBytes(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// stringHeaderSize is the size of a string header (pointer and length).
const stringHeaderSize = int(unsafe.Sizeof(""))

// maxPackedBytes is the largest bytes value newBytes makes in one
// allocation. Up to it, one small allocation (zeroed, then filled) costs
// less than two; past it a copy allocated without zeroing, as
// starlark.Bytes(data) makes, costs less, and the header's 16 bytes could
// cost a whole size-class step (4 KiB and a header take 4,864 bytes).
const maxPackedBytes = 512
