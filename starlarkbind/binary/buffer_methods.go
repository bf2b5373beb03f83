package binary

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"
)

// The Starlark methods of a buffer.

type bufferMethodFunc func(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// bufferMethod returns the implementation of buf.<name>, or nil.
func bufferMethod(name string) bufferMethodFunc {
	switch name {
	case "append":
		return bufferAppend
	case "bytes":
		return bufferBytes
	case "clear":
		return bufferClear
	case "find":
		return bufferFind
	case "len":
		return bufferLen
	case "peek":
		return bufferPeek
	case "readline":
		return bufferReadline
	case "take":
		return bufferTake
	}
	return nil
}

// Attr returns a method bound to the buffer.
func (b *Buffer) Attr(name string) (starlark.Value, error) {
	impl := bufferMethod(name)
	if impl == nil {
		return nil, nil
	}
	fn := "buffer." + name
	call := func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return impl(fn, b, args, kwargs)
	}
	return starlark.NewBuiltin(fn, call).BindReceiver(b), nil
}

// AttrNames lists the buffer's methods.
func (b *Buffer) AttrNames() []string {
	return []string{"append", "bytes", "clear", "find", "len", "peek", "readline", "take"}
}

// buf.append(data): add bytes, a buffer or a str (its UTF-8 bytes) at the end.
func bufferAppend(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
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
func bufferBytes(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackPositionalArgs(fn, args, kwargs, 0); err != nil {
		return nil, argError(err)
	}
	return starlark.Bytes(b.live()), nil
}

// buf.clear(): remove everything.
func bufferClear(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackPositionalArgs(fn, args, kwargs, 0); err != nil {
		return nil, argError(err)
	}
	if err := b.checkMutable("clear"); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	b.reset()
	return starlark.None, nil
}

// buf.find(sub, start=0): index of the first sub at or after start, or -1.
func bufferFind(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sub needleArg
	start := 0
	if err := starlark.UnpackArgs(fn, args, kwargs, "sub", &sub, "start?", &start); err != nil {
		return nil, argError(err)
	}
	s, err := sub.get(fn)
	if err != nil {
		return nil, err
	}
	return starlark.MakeInt(b.index(s, start)), nil
}

// buf.len(): the same as len(buf).
func bufferLen(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackPositionalArgs(fn, args, kwargs, 0); err != nil {
		return nil, argError(err)
	}
	return starlark.MakeInt(b.Len()), nil
}

// unpackOneBytesOrStr unpacks a method's only parameter, named name (with
// "?" if optional, then def is its default). The common calls — no argument,
// or one positional argument of the right type — skip UnpackArgs, which
// allocates.
func unpackOneBytesOrStr(fn string, args starlark.Tuple, kwargs []starlark.Tuple, name string, def bytesOrStrArg) (bytesOrStrArg, error) {
	v := def
	if len(kwargs) == 0 {
		if len(args) == 0 && strings.HasSuffix(name, "?") {
			return v, nil
		}
		if len(args) == 1 && v.Unpack(args[0]) == nil {
			return v, nil
		}
	}
	err := starlark.UnpackArgs(fn, args, kwargs, name, &v)
	return v, argError(err)
}

// countArg unpacks the n of take and peek: an int >= 0.
func countArg(fn string, args starlark.Tuple, kwargs []starlark.Tuple) (int, error) {
	n, ok := starlark.Int{}, false
	if len(args) == 1 && len(kwargs) == 0 {
		n, ok = args[0].(starlark.Int) // fast path: UnpackArgs would allocate
	}
	if !ok {
		if err := starlark.UnpackArgs(fn, args, kwargs, "n", &n); err != nil {
			return 0, argError(err)
		}
	}
	if n.Sign() < 0 {
		return 0, valueErrorf(fn, "for parameter n: must not be negative, got %s", n)
	}
	i, ok := n.Int64()
	if !ok || i > maxSize {
		return maxSize, nil // more than any buffer holds
	}
	return int(i), nil
}

// buf.peek(n): up to n bytes from the front, not removed.
func bufferPeek(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	n, err := countArg(fn, args, kwargs)
	if err != nil {
		return nil, err
	}
	return starlark.Bytes(b.live()[:min(n, b.Len())]), nil
}

// buf.take(n): remove and return up to n bytes from the front.
func bufferTake(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
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
func bufferReadline(fn string, b *Buffer, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	sep, err := unpackOneBytesOrStr(fn, args, kwargs, "sep?", bytesOrStrArg{s: "\n"})
	if err != nil {
		return nil, err
	}
	if sep.s == "" {
		return nil, valueErrorf(fn, "for parameter sep: empty separator")
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
