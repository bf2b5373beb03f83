package binary

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"go.starlark.net/starlark"
)

// TestBufferGoAPI exercises the methods the BufferedProtocol adapter uses:
// a transport fills Bytes() in place, then the script reads what it got.
func TestBufferGoAPI(t *testing.T) {
	b := NewBuffer(8)
	if b.Len() != 8 || len(b.Bytes()) != 8 {
		t.Fatalf("NewBuffer(8): Len %d, len(Bytes) %d", b.Len(), len(b.Bytes()))
	}
	if !bytes.Equal(b.Bytes(), make([]byte, 8)) {
		t.Fatalf("NewBuffer(8) holds %x, want zeros", b.Bytes())
	}
	if got := NewBuffer(-3).Len(); got != 0 {
		t.Fatalf("NewBuffer(-3).Len() = %d, want 0", got)
	}
	if err := b.CheckMutable(); err != nil {
		t.Fatalf("CheckMutable on a new buffer: %v", err)
	}

	// The transport reads straight into the live slice.
	n := copy(b.Bytes(), "hi\nthere")
	if n != 8 {
		t.Fatal("short copy")
	}
	if c := cap(b.Bytes()); c != b.Len() {
		t.Fatalf("cap(Bytes()) = %d, want Len() = %d", c, b.Len())
	}

	// The script sees the bytes.
	globals := starlark.StringDict{"buf": b}
	thread := &starlark.Thread{Name: "adapter"}
	v, err := starlark.Eval(thread, "expr", `(buf.readline(), buf[:3], buf.take(100))`, globals)
	if err != nil {
		t.Fatal(err)
	}
	want := `(b"hi\n", b"the", b"there")`
	if v.String() != want {
		t.Fatalf("script read %s, want %s", v, want)
	}

	if err := b.Append([]byte("abc")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if string(b.Bytes()) != "abc" {
		t.Fatalf("after Append: %q", b.Bytes())
	}
}

// TestBufferBytesInvalidatesReadlineScan: readline remembers how far it
// searched, and a write through Bytes() must make it look again.
func TestBufferBytesInvalidatesReadlineScan(t *testing.T) {
	b := NewBuffer(0)
	if err := b.Append([]byte("abcdef")); err != nil {
		t.Fatal(err)
	}
	if end := b.lineEnd("\n"); end != -1 {
		t.Fatalf("lineEnd = %d, want -1", end)
	}
	b.Bytes()[2] = '\n'
	if end := b.lineEnd("\n"); end != 3 {
		t.Fatalf("after writing a newline through Bytes(): lineEnd = %d, want 3", end)
	}
}

// TestBufferFrozen checks that a frozen buffer refuses every modification,
// from Go and from Starlark.
func TestBufferFrozen(t *testing.T) {
	b := NewBuffer(0)
	if err := b.Append([]byte("x\ny")); err != nil {
		t.Fatal(err)
	}
	b.Freeze()
	if err := b.CheckMutable(); err == nil || !strings.Contains(err.Error(), "frozen buffer") {
		t.Fatalf("CheckMutable on a frozen buffer: %v", err)
	}
	if err := b.Append([]byte("z")); err == nil || err.Error() != "cannot append to frozen buffer" {
		t.Fatalf("Append to a frozen buffer: %v", err)
	}
	if string(b.Bytes()) != "x\ny" {
		t.Fatalf("frozen buffer changed: %q", b.Bytes())
	}
	thread := &starlark.Thread{Name: "frozen"}
	for _, expr := range []string{`buf.append(b"z")`, `buf.take(1)`, `buf.readline()`, `buf.clear()`} {
		if _, err := starlark.Eval(thread, "expr", expr, starlark.StringDict{"buf": b}); err == nil {
			t.Errorf("%s on a frozen buffer succeeded", expr)
		}
	}
	if string(b.Bytes()) != "x\ny" {
		t.Fatalf("frozen buffer changed: %q", b.Bytes())
	}
}

// TestBufferIterationLocks checks that a buffer cannot change while it is
// being iterated.
func TestBufferIterationLocks(t *testing.T) {
	b := NewBuffer(2)
	it := b.Iterate()
	if err := b.CheckMutable(); err == nil || !strings.Contains(err.Error(), "during iteration") {
		t.Fatalf("CheckMutable while iterating: %v", err)
	}
	if err := b.Append([]byte("x")); err == nil {
		t.Fatal("Append while iterating succeeded")
	}
	it.Done()
	if err := b.Append([]byte("x")); err != nil {
		t.Fatalf("Append after iteration: %v", err)
	}
}

// TestBufferReadlineScanIsIncremental checks the amortisation of readline:
// after a failed search the buffer remembers where to resume, so feeding a
// long line one byte at a time searches each byte about once.
func TestBufferReadlineScanIsIncremental(t *testing.T) {
	for _, sep := range []string{"\n", "\r\n", "END"} {
		b := NewBuffer(0)
		for i := 0; i < 10000; i++ {
			b.appendString("x")
			if b.lineEnd(sep) != -1 {
				t.Fatalf("sep %q: found a line in %d x's", sep, i+1)
			}
			if want := max(len(b.data)-len(sep)+1, b.off); b.scanFrom != want {
				t.Fatalf("sep %q after %d bytes: next search starts at %d, want %d", sep, i+1, b.scanFrom, want)
			}
		}
		b.appendString(sep)
		if end := b.lineEnd(sep); end != 10000+len(sep) {
			t.Fatalf("sep %q: lineEnd = %d, want %d", sep, end, 10000+len(sep))
		}
	}
}

// TestBufferCompacts checks that removing bytes from the front eventually
// reclaims the space, so a long-lived connection's buffer does not grow
// without bound.
func TestBufferCompacts(t *testing.T) {
	b := NewBuffer(0)
	line := []byte(strings.Repeat("y", 99) + "\n")
	for i := 0; i < 100000; i++ {
		if err := b.Append(line); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // keep one line buffered, remove one
			b.take(b.lineEnd("\n"))
		}
	}
	if b.Len() != 50000*len(line) {
		t.Fatalf("Len = %d, want %d", b.Len(), 50000*len(line))
	}
	for b.Len() > 0 {
		n := b.lineEnd("\n")
		if n != len(line) {
			t.Fatalf("line of %d bytes, want %d", n, len(line))
		}
		b.take(n)
		if b.off > compactMin && b.off > b.Len() {
			t.Fatalf("removed prefix %d bytes, contents %d: not compacted", b.off, b.Len())
		}
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
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 300; i++ {
		ops := make([]byte, 2000)
		for j := range ops {
			ops[j] = byte(rng.IntN(256))
		}
		if err := bufferModelOps(ops); err != nil {
			t.Fatalf("sequence %d: %v", i, err)
		}
	}
}

// FuzzBufferOps is TestBufferMatchesModel driven by the fuzzer.
func FuzzBufferOps(f *testing.F) {
	f.Add([]byte{0, 10, 1, 2, 3, 2, 0, 3, 5, 2, 2, 1})
	f.Add([]byte("\x00\x20abababab\x02\x02\x03\x05\x04\x01\x02\x00"))
	f.Fuzz(func(t *testing.T, ops []byte) {
		if err := bufferModelOps(ops); err != nil {
			t.Fatal(err)
		}
	})
}
