package binary

import (
	"fmt"

	"go.starlark.net/starlark"
)

// bytesArg unpacks a bytes-like argument: bytes or a buffer (Python's
// "bytes-like object"). A buffer's contents are copied, so the function sees
// a snapshot.
type bytesArg struct {
	s string
}

func (a *bytesArg) Unpack(v starlark.Value) error {
	s, ok := bytesLike(v)
	if !ok {
		return fmt.Errorf("got %s, want bytes", v.Type())
	}
	a.s = s
	return nil
}

// bytesOrStrArg unpacks bytes, a buffer or a string (a string stands for its
// UTF-8 bytes). isStr records which it was.
type bytesOrStrArg struct {
	s     string
	isStr bool
}

func (a *bytesOrStrArg) Unpack(v starlark.Value) error {
	if s, ok := v.(starlark.String); ok {
		a.s, a.isStr = string(s), true
		return nil
	}
	s, ok := bytesLike(v)
	if !ok {
		return fmt.Errorf("got %s, want bytes or string", v.Type())
	}
	a.s, a.isStr = s, false
	return nil
}

// bytesLike returns the contents of bytes or a buffer.
func bytesLike(v starlark.Value) (string, bool) {
	switch v := v.(type) {
	case starlark.Bytes:
		return string(v), true
	case *Buffer:
		return string(v.live()), true
	}
	return "", false
}

// needleArg unpacks what Python's bytes.find accepts as sub: bytes, a
// buffer, or an int standing for one byte. Call get for the bytes.
type needleArg struct {
	s     string
	isInt bool
	i     starlark.Int
}

func (a *needleArg) Unpack(v starlark.Value) error {
	if i, ok := v.(starlark.Int); ok {
		a.i, a.isInt = i, true
		return nil
	}
	s, ok := bytesLike(v)
	if !ok {
		return fmt.Errorf("got %s, want bytes or int", v.Type())
	}
	a.s = s
	return nil
}

// get returns the needle's bytes; an int outside 0..255 is a ValueError.
func (a *needleArg) get(fn string) (string, error) {
	if !a.isInt {
		return a.s, nil
	}
	n, ok := a.i.Int64()
	if !ok || n < 0 || n > 255 {
		return "", valueErrorf(fn, "for parameter sub: byte must be in range(0, 256), got %s", a.i)
	}
	return string([]byte{byte(n)}), nil
}

// maxSize bounds every byte string this package allocates (as Starlark's own
// string operations do), so that a script cannot exhaust memory with one
// call. It is 1 GiB.
const maxSize = 1 << 30

func checkSize(fn string, n int) error {
	if n < 0 || n > maxSize {
		return valueErrorf(fn, "result too large (%d bytes; the limit is %d)", n, maxSize)
	}
	return nil
}

// adjustStart interprets a Python start index against a length: negative
// counts from the end, then the result is clamped at 0. A start beyond the
// end stays beyond it (so that find reports -1, as Python does).
func adjustStart(start, n int) int {
	if start < 0 {
		start += n
		if start < 0 {
			start = 0
		}
	}
	return start
}
