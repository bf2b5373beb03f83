package starlarkbind

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestNewBytesSurvivesCollections checks the values newBytes packs into
// one allocation: their contents, slices of them and their hashes stay
// right through collections, while nothing else refers to their blocks.
// (Not parallel: it is about what collections do.)
func TestNewBytesSurvivesCollections(t *testing.T) {
	src := make([]byte, 2*maxPackedBytes)
	for i := range src {
		src[i] = byte(i*7 + 3)
	}
	var vals []starlark.Value
	var subs []string
	for n := 1; n <= len(src); n += 13 {
		v := newBytes(src[:n])
		vals = append(vals, v)
		subs = append(subs, string(v.(starlark.Bytes))[n/2:]) // a Go string into the block
	}
	for round := 0; round < 3; round++ {
		runtime.GC()
		garbage := make([][]byte, 0, 1000)
		for i := 0; i < 1000; i++ {
			garbage = append(garbage, bytes.Repeat([]byte{0xee}, 1+i%1200))
		}
		_ = garbage
	}
	for i, v := range vals {
		n := 1 + 13*i
		b, ok := v.(starlark.Bytes)
		require.Truef(t, ok, "value %d is %T", i, v)
		require.Equalf(t, string(src[:n]), string(b), "value of %d bytes changed", n)
		require.Equalf(t, string(src[n/2:n]), subs[i], "slice of the %d-byte value changed", n)
		h1, err := v.Hash()
		require.NoError(t, err)
		h2, err := starlark.Bytes(src[:n]).Hash()
		require.NoError(t, err)
		require.Equalf(t, h2, h1, "hash of %d bytes", n)
		eq, err := starlark.Equal(v, starlark.Bytes(src[:n]))
		require.NoError(t, err)
		require.Truef(t, eq, "value of %d bytes is not equal to its copy", n)
	}
	require.Equal(t, starlark.Value(starlark.Bytes("")), newBytes(nil), "newBytes(nil)")
}

// TestCallbackSlots checks that callbacks found by slot are those that
// attribute lookup finds: an instance attribute set before or during the
// connection shadows the class's method, a None member is no callback, and
// instances with many attributes (kept in a map) behave alike.
func TestCallbackSlots(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{MaxSteps: 1_000_000})
	g := te.exec(`
got = []
def data_received(self, data):
    got.append(("method", data))
    if data == b"switch":
        self.data_received = lambda data: got.append(("attr", data))
def eof_received(self):
    got.append("eof")
    return True
P = protocol("P", data_received = data_received, eof_received = eof_received, pause_writing = None)

plain = P()
shadowed = P(data_received = lambda data: got.append(("kwarg", data)))
many = P(a0 = 0, a1 = 1, a2 = 2, a3 = 3, a4 = 4, a5 = 5, a6 = 6, a7 = 7, a8 = 8)
many.eof_received = lambda: False
`)
	adapt := func(name string) *streamAdapter { return newAdapter(te.e, g[name]).(*streamAdapter) }
	plain, shadowed, many := adapt("plain"), adapt("shadowed"), adapt("many")
	plain.DataReceived([]byte("one"))
	plain.DataReceived([]byte("switch"))
	plain.DataReceived([]byte("two"))
	shadowed.DataReceived([]byte("three"))
	many.DataReceived([]byte("four"))
	assert.True(t, plain.EOFReceived(), "eof_received returned True, the adapter said close")
	assert.False(t, many.EOFReceived(), "many.eof_received returned False, the adapter said keep open")
	plain.PauseWriting() // a None member: nothing to call
	want := `[("method", b"one"), ("method", b"switch"), ("attr", b"two"), ("kwarg", b"three"), ("method", b"four"), "eof"]`
	assert.Equal(t, want, g["got"].String(), "calls")
	inst := g["many"].(*ProtocolInstance)
	assert.Truef(t, inst.many != nil && inst.attrs == nil, "an instance with %d attributes keeps them in a slice", len(inst.AttrNames()))
	v, _ := inst.get("a8")
	require.NotNil(t, v, "many.a8")
	assert.Equal(t, "8", v.String(), "many.a8")
	assert.Empty(t, te.stderr.String(), "reports")
}
