package binary

import (
	"bytes"
	"fmt"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Buffer is the value of binary.buffer(size=0): a mutable sequence of bytes
// for framing a stream — append what arrives, take complete records or lines
// off the front. In Starlark:
//
//	buf = binary.buffer()
//	buf.append(data)                  # bytes or str
//	line = buf.readline()             # b"...\n", or None until a line is complete
//	n = binary.unpack(">I", buf.peek(4))[0]
//	record = buf.take(n)              # up to n bytes off the front
//	len(buf), buf[0] (an int), buf[1:3] (bytes), buf.bytes(), buf.find(b"\r\n")
//
// Methods: append(data), bytes(), clear(), find(sub, start=0) (-1 if
// absent), len(), peek(n), readline(sep=b"\n"), take(n). Indexing gives ints
// and accepts assignment (buf[i] = 255); slicing gives bytes; `x in buf`
// takes bytes or an int; == and < compare contents with another buffer (not
// with bytes: compare buf.bytes()); a buffer is iterable (ints) and
// unhashable. str(buf) is buffer(b"...").
//
// take and readline are amortised O(bytes removed): the buffer keeps an
// offset to its first byte and moves the rest down only once at least as
// many bytes were removed as remain. readline remembers how far it already
// searched for its separator, so calling it after every append costs
// O(bytes appended), not O(bytes buffered).
//
// # Freezing
//
// Like a Starlark list, a Buffer can be frozen (a buffer held by a loaded
// module's globals is frozen with them). A frozen buffer, or one that a
// Starlark for-loop is iterating over, cannot be modified: append, take,
// readline, clear and element assignment fail with an error, and the Go
// method Append returns one. Reading (len, peek, find, bytes, indexing,
// slicing) is always allowed.
//
// # Use from Go (the BufferedProtocol adapter)
//
// get_buffer(sizehint) returns a Buffer; before filling it the adapter must
// check that CheckMutable returns nil (a frozen buffer must not be written)
// and that Len is > 0 (asyncio raises RuntimeError for an empty buffer). It
// then reads straight into Bytes() — the live contents, filled from index 0 —
// and calls buffer_updated(n). Bytes() must not be kept across a call into
// Starlark: append or take may move the contents.
//
// A Buffer is not safe for concurrent use; like every Starlark value it
// belongs to its loop's goroutine.
type Buffer struct {
	data []byte // the contents are data[off:]
	off  int

	frozen    bool
	itercount int // > 0 while a Starlark for-loop iterates over the buffer

	// readline's memory: no occurrence of scanSep starts in data[off:scanFrom].
	scanSep  string
	scanFrom int

	bound bind.Bound // its methods, bound on first use
}

var (
	_ starlark.Value       = (*Buffer)(nil)
	_ starlark.Sequence    = (*Buffer)(nil)
	_ starlark.Sliceable   = (*Buffer)(nil)
	_ starlark.HasSetIndex = (*Buffer)(nil)
	_ starlark.HasAttrs    = (*Buffer)(nil)
	_ starlark.Container   = (*Buffer)(nil)
	_ starlark.Comparable  = (*Buffer)(nil)
)

// NewBuffer returns a buffer holding size zero bytes (none if size <= 0).
func NewBuffer(size int) *Buffer {
	return &Buffer{data: make([]byte, max(size, 0))}
}

// live is the contents, for reading inside this package.
func (b *Buffer) live() []byte { return b.data[b.off:] }

// Bytes returns the live contents, len(Bytes()) == Len(). Writing into the
// slice changes the buffer (that is how a transport fills the buffer returned
// by get_buffer); check CheckMutable first. The slice's capacity is its
// length, so appending to it never writes into the buffer.
func (b *Buffer) Bytes() []byte {
	if !b.frozen {
		b.forgetScan() // the caller may change the contents behind readline's back
	}
	return b.data[b.off:len(b.data):len(b.data)]
}

// Len returns the number of bytes in the buffer.
func (b *Buffer) Len() int { return len(b.data) - b.off }

// CheckMutable returns an error if the buffer may not be modified now: it is
// frozen, or a Starlark for-loop is iterating over it.
func (b *Buffer) CheckMutable() error {
	return b.checkMutable("modify")
}

// Append adds p at the end. It fails, changing nothing, if CheckMutable
// fails or the buffer would grow beyond 1 GiB.
func (b *Buffer) Append(p []byte) error {
	if err := b.checkMutable("append to"); err != nil {
		return err
	}
	if err := checkSize("buffer.append", b.Len()+len(p)); err != nil {
		return err
	}
	b.appendBytes(p)
	return nil
}

func (b *Buffer) checkMutable(verb string) error {
	if b.frozen {
		return fmt.Errorf("cannot %s frozen buffer", verb)
	}
	if b.itercount > 0 {
		return fmt.Errorf("cannot %s buffer during iteration", verb)
	}
	return nil
}

// appendBytes appends, first reclaiming the removed prefix if the backing
// array is full.
func (b *Buffer) appendBytes(p []byte) {
	if b.off > 0 && len(b.data)+len(p) > cap(b.data) {
		b.compact()
	}
	b.data = append(b.data, p...)
}

func (b *Buffer) appendString(s string) {
	if b.off > 0 && len(b.data)+len(s) > cap(b.data) {
		b.compact()
	}
	b.data = append(b.data, s...)
}

// compactMin is the removed-prefix size below which the buffer does not
// bother moving its contents down.
const compactMin = 4096

// consume removes n <= Len() bytes from the front.
func (b *Buffer) consume(n int) {
	b.off += n
	if b.off == len(b.data) {
		b.data, b.off, b.scanFrom = b.data[:0], 0, 0
		return
	}
	if b.off >= compactMin && b.off >= len(b.data)-b.off {
		b.compact()
	}
}

// compact moves the contents to the start of the backing array. It costs
// O(Len()), paid for by the at least as many bytes removed before it.
func (b *Buffer) compact() {
	n := copy(b.data, b.data[b.off:])
	b.data = b.data[:n]
	b.scanFrom = max(b.scanFrom-b.off, 0)
	b.off = 0
}

// reset empties the buffer, releasing a large backing array.
func (b *Buffer) reset() {
	if cap(b.data) > 64<<10 {
		b.data = nil
	}
	b.data, b.off = b.data[:0], 0
	b.forgetScan()
}

func (b *Buffer) forgetScan() { b.scanSep, b.scanFrom = "", 0 }

// take removes and returns up to n bytes from the front.
func (b *Buffer) take(n int) starlark.Bytes {
	n = min(n, b.Len())
	out := starlark.Bytes(b.data[b.off : b.off+n])
	b.consume(n)
	return out
}

// lineEnd returns the length of the first complete line ending in sep, or
// -1, remembering how far it searched so that the next call with the same
// separator starts there.
func (b *Buffer) lineEnd(sep string) int {
	start := b.off
	if b.scanSep == sep && b.scanFrom > start {
		start = b.scanFrom
	}
	i := bytes.Index(b.data[start:], []byte(sep))
	if i < 0 {
		b.scanSep = sep
		b.scanFrom = max(len(b.data)-len(sep)+1, start)
		return -1
	}
	return start + i + len(sep) - b.off
}

// index returns the first index of sub at or after start (Python semantics
// for start), or -1.
func (b *Buffer) index(sub string, start int) int {
	return findFrom(string(b.live()), sub, start)
}

// String returns buffer(b"...").
func (b *Buffer) String() string {
	return "buffer(" + starlark.Bytes(b.live()).String() + ")"
}

// Type returns "buffer".
func (b *Buffer) Type() string { return "buffer" }

// Freeze makes the buffer immutable.
func (b *Buffer) Freeze() { b.frozen = true }

// Truth reports whether the buffer is non-empty.
func (b *Buffer) Truth() starlark.Bool { return b.Len() > 0 }

// Hash fails: a buffer is mutable.
func (b *Buffer) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: buffer") }

// Index returns the byte at i as an int (as Python's bytearray does; note
// that indexing Starlark bytes gives bytes).
func (b *Buffer) Index(i int) starlark.Value { return starlark.MakeInt(int(b.data[b.off+i])) }

// Slice returns a copy of the selected bytes as bytes.
func (b *Buffer) Slice(start, end, step int) starlark.Value {
	live := b.live()
	if step == 1 {
		return starlark.Bytes(live[start:end])
	}
	var out []byte
	for i := start; (step > 0 && i < end) || (step < 0 && i > end); i += step {
		out = append(out, live[i])
	}
	return starlark.Bytes(out)
}

// SetIndex sets the byte at i: buf[i] = 65.
func (b *Buffer) SetIndex(i int, v starlark.Value) error {
	if err := b.checkMutable("assign to element of"); err != nil {
		return err
	}
	i64, ok := v.(starlark.Int)
	if !ok {
		return typeErrorf("buffer element assignment", "got %s, want int", v.Type())
	}
	c, ok := i64.Int64()
	if !ok || c < 0 || c > 255 {
		return valueErrorf("buffer element assignment", "byte must be in range(0, 256), got %s", i64)
	}
	b.data[b.off+i] = byte(c)
	b.forgetScan()
	return nil
}

// Has implements `x in buf` for bytes, a buffer, or an int byte value.
func (b *Buffer) Has(y starlark.Value) (bool, error) {
	var n needleArg
	if err := n.Unpack(y); err != nil {
		e := asError(err).(*Error)
		return false, &Error{Kind: e.Kind, Message: "in buffer: " + e.Message}
	}
	return bytes.Contains(b.live(), []byte(n.s)), nil
}

// CompareSameType compares contents, as Python compares bytearrays.
func (b *Buffer) CompareSameType(op syntax.Token, y starlark.Value, depth int) (bool, error) {
	c := bytes.Compare(b.live(), y.(*Buffer).live())
	switch op {
	case syntax.EQL:
		return c == 0, nil
	case syntax.NEQ:
		return c != 0, nil
	case syntax.LT:
		return c < 0, nil
	case syntax.LE:
		return c <= 0, nil
	case syntax.GT:
		return c > 0, nil
	default: // GE
		return c >= 0, nil
	}
}

// Iterate yields the bytes as ints. The buffer cannot be modified until the
// iterator is done.
func (b *Buffer) Iterate() starlark.Iterator {
	if !b.frozen {
		b.itercount++
	}
	return &bufferIterator{b: b}
}

type bufferIterator struct {
	b *Buffer
	i int
}

func (it *bufferIterator) Next(p *starlark.Value) bool {
	if it.i >= it.b.Len() {
		return false
	}
	*p = it.b.Index(it.i)
	it.i++
	return true
}

func (it *bufferIterator) Done() {
	if !it.b.frozen {
		it.b.itercount--
	}
}
