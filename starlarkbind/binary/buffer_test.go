package binary

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// TestBufferGoAPI exercises the methods the BufferedProtocol adapter uses:
// a transport fills Bytes() in place, then the script reads what it got.
func TestBufferGoAPI(t *testing.T) {
	t.Parallel()
	b := NewBuffer(8)
	require.Equal(t, 8, b.Len(), "NewBuffer(8).Len()")
	require.Equal(t, make([]byte, 8), b.Bytes(), "NewBuffer(8) holds zeros")
	require.Equal(t, 0, NewBuffer(-3).Len(), "NewBuffer(-3).Len()")
	require.NoError(t, b.CheckMutable(), "CheckMutable on a new buffer")

	// The transport reads straight into the live slice.
	require.Equal(t, 8, copy(b.Bytes(), "hi\nthere"), "copied")
	require.Equal(t, b.Len(), cap(b.Bytes()), "cap(Bytes())")

	// The script sees the bytes.
	globals := starlark.StringDict{"buf": b}
	thread := &starlark.Thread{Name: "adapter"}
	v, err := starlark.EvalOptions(&syntax.FileOptions{}, thread, "expr", `(buf.readline(), buf[:3], buf.take(100))`, globals)
	require.NoError(t, err)
	require.Equal(t, `(b"hi\n", b"the", b"there")`, v.String(), "what the script read")

	require.NoError(t, b.Append([]byte("abc")), "Append")
	require.Equal(t, "abc", string(b.Bytes()), "after Append")
}

// TestBufferBytesInvalidatesReadlineScan: readline remembers how far it
// searched, and a write through Bytes() must make it look again.
func TestBufferBytesInvalidatesReadlineScan(t *testing.T) {
	t.Parallel()
	b := NewBuffer(0)
	require.NoError(t, b.Append([]byte("abcdef")))
	require.Equal(t, -1, b.lineEnd("\n"), "lineEnd")
	b.Bytes()[2] = '\n'
	require.Equal(t, 3, b.lineEnd("\n"), "lineEnd after writing a newline through Bytes()")
}

// TestBufferFrozen checks that a frozen buffer refuses every modification,
// from Go and from Starlark.
func TestBufferFrozen(t *testing.T) {
	t.Parallel()
	b := NewBuffer(0)
	require.NoError(t, b.Append([]byte("x\ny")))
	b.Freeze()
	require.ErrorContains(t, b.CheckMutable(), "frozen buffer", "CheckMutable on a frozen buffer")
	require.EqualError(t, b.Append([]byte("z")), "cannot append to frozen buffer", "Append to a frozen buffer")
	require.Equal(t, "x\ny", string(b.Bytes()), "frozen buffer changed")
	thread := &starlark.Thread{Name: "frozen"}
	for _, expr := range []string{`buf.append(b"z")`, `buf.take(1)`, `buf.readline()`, `buf.clear()`} {
		_, err := starlark.EvalOptions(&syntax.FileOptions{}, thread, "expr", expr, starlark.StringDict{"buf": b})
		assert.Errorf(t, err, "%s on a frozen buffer succeeded", expr)
	}
	require.Equal(t, "x\ny", string(b.Bytes()), "frozen buffer changed")
}

// TestBufferIterationLocks checks that a buffer cannot change while it is
// being iterated.
func TestBufferIterationLocks(t *testing.T) {
	t.Parallel()
	b := NewBuffer(2)
	it := b.Iterate()
	require.ErrorContains(t, b.CheckMutable(), "during iteration", "CheckMutable while iterating")
	require.Error(t, b.Append([]byte("x")), "Append while iterating succeeded")
	it.Done()
	require.NoError(t, b.Append([]byte("x")), "Append after iteration")
}

// TestBufferReadlineScanIsIncremental checks the amortisation of readline:
// after a failed search the buffer remembers where to resume, so feeding a
// long line one byte at a time searches each byte about once.
func TestBufferReadlineScanIsIncremental(t *testing.T) {
	t.Parallel()
	for _, sep := range []string{"\n", "\r\n", "END"} {
		b := NewBuffer(0)
		for i := 0; i < 10000; i++ {
			b.appendString("x")
			end := b.lineEnd(sep)
			want := max(len(b.data)-len(sep)+1, b.off)
			if end != -1 || b.scanFrom != want { // checked first: testify on every byte would be most of the test's time
				require.Equalf(t, -1, end, "sep %q: found a line in %d x's", sep, i+1)
				require.Equalf(t, want, b.scanFrom, "sep %q after %d bytes: where the next search starts", sep, i+1)
			}
		}
		b.appendString(sep)
		require.Equalf(t, 10000+len(sep), b.lineEnd(sep), "sep %q: lineEnd", sep)
	}
}

// TestBufferCompacts checks that removing bytes from the front eventually
// reclaims the space, so a long-lived connection's buffer does not grow
// without bound.
func TestBufferCompacts(t *testing.T) {
	t.Parallel()
	b := NewBuffer(0)
	line := []byte(strings.Repeat("y", 99) + "\n")
	for i := 0; i < 100000; i++ {
		require.NoError(t, b.Append(line))
		if i%2 == 1 { // keep one line buffered, remove one
			b.take(b.lineEnd("\n"))
		}
	}
	require.Equal(t, 50000*len(line), b.Len(), "Len")
	for b.Len() > 0 {
		n := b.lineEnd("\n")
		require.Equal(t, len(line), n, "line length")
		b.take(n)
		require.Falsef(t, b.off > compactMin && b.off > b.Len(), "removed prefix %d bytes, contents %d: not compacted", b.off, b.Len())
	}
}

// bufferModelOps applies a sequence of operations, decoded from ops, to a
// Buffer and to a plain byte slice, and reports the first disagreement.
func bufferModelOps(ops []byte) error {
	b := NewBuffer(0)
	var model []byte
	seps := []string{"\n", "\r\n", "ab", "a"}
	next := func() byte {
		if len(ops) == 0 {
			return 0
		}
		c := ops[0]
		ops = ops[1:]
		return c
	}
	for step := 0; len(ops) > 0; step++ {
		op, arg := next(), int(next())
		switch op % 8 {
		case 0, 1: // append arg bytes drawn from a small alphabet
			p := make([]byte, arg%40)
			for i := range p {
				p[i] = "ab\r\nx"[int(next())%5]
			}
			if err := b.Append(p); err != nil {
				return err
			}
			model = append(model, p...)
		case 2: // readline
			sep := seps[arg%len(seps)]
			n := b.lineEnd(sep)
			want := bytes.Index(model, []byte(sep))
			if want >= 0 {
				want += len(sep)
			}
			if n != want {
				return fmt.Errorf("step %d: readline(%q) ends at %d, model %d", step, sep, n, want)
			}
			if n >= 0 {
				if got := b.take(n); string(got) != string(model[:n]) {
					return fmt.Errorf("step %d: readline got %q, model %q", step, got, model[:n])
				}
				model = model[n:]
			}
		case 3: // take
			n := min(arg, len(model))
			if got := b.take(arg); string(got) != string(model[:n]) {
				return fmt.Errorf("step %d: take(%d) got %q, model %q", step, arg, got, model[:n])
			}
			model = model[n:]
		case 4: // write through Bytes()
			if len(model) > 0 {
				i := arg % len(model)
				c := "\nab"[int(next())%3]
				b.Bytes()[i] = c
				model[i] = c
			}
		case 5: // find
			sub := seps[arg%len(seps)]
			if got, want := b.index(sub, 0), bytes.Index(model, []byte(sub)); got != want {
				return fmt.Errorf("step %d: find(%q) = %d, model %d", step, sub, got, want)
			}
		case 6: // set an element
			if len(model) > 0 {
				i := arg % len(model)
				if err := b.SetIndex(i, starlark.MakeInt('\n')); err != nil {
					return err
				}
				model[i] = '\n'
			}
		case 7:
			if arg%8 == 0 {
				b.reset()
				model = model[:0]
			}
		}
		if string(b.live()) != string(model) {
			return fmt.Errorf("step %d: contents %q, model %q", step, b.live(), model)
		}
	}
	return nil
}

// TestBufferMatchesModel runs random operation sequences against a naive
// model (no offset, no compaction, no remembered search).
func TestBufferMatchesModel(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 300; i++ {
		ops := make([]byte, 2000)
		for j := range ops {
			ops[j] = byte(rng.IntN(256))
		}
		require.NoErrorf(t, bufferModelOps(ops), "sequence %d", i)
	}
}

// FuzzBufferOps is TestBufferMatchesModel driven by the fuzzer.
func FuzzBufferOps(f *testing.F) {
	f.Add([]byte{0, 10, 1, 2, 3, 2, 0, 3, 5, 2, 2, 1})
	f.Add([]byte("\x00\x20abababab\x02\x02\x03\x05\x04\x01\x02\x00"))
	f.Fuzz(func(t *testing.T, ops []byte) {
		require.NoError(t, bufferModelOps(ops))
	})
}
