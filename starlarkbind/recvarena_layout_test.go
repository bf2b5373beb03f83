//go:build !starnet_nounsafe

package starlarkbind

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestUnsafeHeaderLayout pins the layout recvarena.go writes by hand: a
// string header is two words (the data pointer, then the length), aligned
// to a word; a starlark.Value interface is two words (the type word, then a
// pointer to the value, here a string header). It also pins that
// readOnlyBytes views a string's own bytes. If a Go release changes
// either, this fails, and the starnet_nounsafe build is the way out.
func TestUnsafeHeaderLayout(t *testing.T) {
	t.Parallel()
	word := unsafe.Sizeof(uintptr(0))
	require.Equal(t, 2*word, unsafe.Sizeof(""), "string header size")
	require.Equal(t, int(2*word), stringHeaderSize, "stringHeaderSize")
	require.Equal(t, int(word), stringHeaderAlign, "string header alignment")

	s := "hello, layout"
	words := *(*[2]uintptr)(unsafe.Pointer(&s))
	assert.Equal(t, uintptr(unsafe.Pointer(unsafe.StringData(s))), words[0], "string word 0 is the data pointer")
	assert.Equal(t, uintptr(len(s)), words[1], "string word 1 is the length")

	var v starlark.Value = starlark.Bytes(s)
	require.Equal(t, 2*word, unsafe.Sizeof(v), "interface size")
	iface := *(*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	assert.Equal(t, s, *(*string)(iface[1]), "interface word 1 points at the string header")
	var other starlark.Value = starlark.Bytes("")
	assert.Equal(t, (*[2]unsafe.Pointer)(unsafe.Pointer(&other))[0], iface[0], "interface word 0 is the type, the same for every Bytes")

	view := readOnlyBytes(s)
	assert.Equal(t, unsafe.StringData(s), unsafe.SliceData(view), "readOnlyBytes aliases the string")
	assert.Equal(t, len(s), len(view))

	hdr := s
	made := bytesAt(&hdr)
	assert.Equal(t, starlark.Value(starlark.Bytes(s)), made, "bytesAt makes the same value")
	assert.Equal(t, unsafe.Pointer(&hdr), (*[2]unsafe.Pointer)(unsafe.Pointer(&made))[1], "bytesAt points at the given header")
}
