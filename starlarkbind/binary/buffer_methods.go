package binary

import (
	"fmt"
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// The Starlark methods of a buffer.

// bufferMethods are a buffer's methods.
var bufferMethods = bind.NewMethods("buffer", map[string]bind.Method[*Buffer]{
	"append":   {Fn: bufferAppend},
	"bytes":    {Fn0: bufferBytes},
	"clear":    {Fn0: bufferClear},
	"find":     {Fn: bufferFind},
	"len":      {Fn0: bufferLen},
	"peek":     {Fn: bufferPeek},
	"readline": {Fn: bufferReadline},
	"take":     {Fn: bufferTake},
})

// Attr returns a method bound to the buffer (made once per buffer).
func (b *Buffer) Attr(name string) (starlark.Value, error) {
	return bufferMethods.Attr(b, &b.bound, name)
}

// AttrNames lists the buffer's methods.
func (b *Buffer) AttrNames() []string { return bufferMethods.AttrNames(b) }

// buf.append(data): add bytes, a buffer or a str (its UTF-8 bytes) at the end.
func bufferAppend(b *Buffer, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	data, err := unpackOneBytesOrStr(fn, args, kwargs, "data", bytesOrStrArg{})
	if err != nil {
		return nil, err
	}
	if err := b.checkMutable("append to"); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	if err := checkSize(fn, b.Len()+len(data.s)); err != nil {
		return nil, err
	}
	b.appendString(data.s)
	return starlark.None, nil
}

// buf.bytes(): a copy of the contents.
func bufferBytes(b *Buffer) (starlark.Value, error) {
	return starlark.Bytes(b.live()), nil
}

// buf.clear(): remove everything.
func bufferClear(b *Buffer) (starlark.Value, error) {
	if err := b.checkMutable("clear"); err != nil {
		return nil, fmt.Errorf("buffer.clear: %w", err)
	}
	b.reset()
	return starlark.None, nil
}

// buf.find(sub, start=0): index of the first sub at or after start, or -1.
func bufferFind(b *Buffer, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sub needleArg
	start := 0
	if err := unpackArgs(fn, args, kwargs, "sub", &sub, "start?", &start); err != nil {
		return nil, err
	}
	return starlark.MakeInt(b.index(sub.s, start)), nil
}

// buf.len(): the same as len(buf).
func bufferLen(b *Buffer) (starlark.Value, error) {
	return starlark.MakeInt(b.Len()), nil
}

// unpackOneBytesOrStr unpacks a method's only parameter, named name (with
// "?" if optional, then def is its default). The common calls — no argument,
// or one positional argument of the right type — skip UnpackArgs, which
// allocates.
func unpackOneBytesOrStr(fn string, args starlark.Tuple, kwargs []starlark.Tuple, name string, def bytesOrStrArg) (bytesOrStrArg, error) {
	if len(kwargs) == 0 {
		if len(args) == 0 && strings.HasSuffix(name, "?") {
			return def, nil
		}
		if v := def; len(args) == 1 && v.Unpack(args[0]) == nil {
			return v, nil
		}
	}
	v := def // escapes: only on this path
	err := unpackArgs(fn, args, kwargs, name, &v)
	return v, err
}

// countArg unpacks the n of take and peek: an int >= 0 (beyond maxSize:
// more than any buffer holds).
func countArg(fn string, args starlark.Tuple, kwargs []starlark.Tuple) (int, error) {
	if len(args) == 1 && len(kwargs) == 0 {
		var n bind.Count // the fast path: UnpackArgs would allocate
		if n.Unpack(args[0]) == nil {
			return min(n.N, maxSize), nil
		}
	}
	var n bind.Count
	if err := unpackArgs(fn, args, kwargs, "n", &n); err != nil {
		return 0, err
	}
	return min(n.N, maxSize), nil
}

// buf.peek(n): up to n bytes from the front, not removed.
func bufferPeek(b *Buffer, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	n, err := countArg(fn, args, kwargs)
	if err != nil {
		return nil, err
	}
	return starlark.Bytes(b.live()[:min(n, b.Len())]), nil
}

// buf.take(n): remove and return up to n bytes from the front.
func bufferTake(b *Buffer, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	n, err := countArg(fn, args, kwargs)
	if err != nil {
		return nil, err
	}
	if err := b.checkMutable("take from"); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	return b.take(n), nil
}

// buf.readline(sep=b"\n"): remove and return the first complete line with
// its separator, or None if there is none yet.
func bufferReadline(b *Buffer, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	sep, err := unpackOneBytesOrStr(fn, args, kwargs, "sep?", bytesOrStrArg{s: "\n", nonEmpty: true})
	if err != nil {
		return nil, err
	}
	if err := b.checkMutable("read a line from"); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	n := b.lineEnd(sep.s)
	if n < 0 {
		return starlark.None, nil
	}
	return b.take(n), nil
}
