package binary

import (
	"strconv"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// The argument unpackers of the binary module: starlark.Unpacker types
// for what only this module takes (bytes-like values, which include its
// buffer). They report a wrong value with package bind's Want and Invalid,
// as every builtin of starnet does; unpackArgs keeps the class.

// bytesArg unpacks a bytes-like argument: bytes or a buffer (Python's
// "bytes-like object"). A buffer's contents are copied, so the function sees
// a snapshot.
type bytesArg struct {
	s string
}

func (a *bytesArg) Unpack(v starlark.Value) error {
	s, ok := bytesLike(v)
	if !ok {
		return bind.Want(v, "bytes")
	}
	a.s = s
	return nil
}

// bytesOrStrArg unpacks bytes, a buffer or a string (a string stands for its
// UTF-8 bytes). isStr records which it was. Set nonEmpty before unpacking
// for a separator.
type bytesOrStrArg struct {
	s        string
	isStr    bool
	nonEmpty bool
}

func (a *bytesOrStrArg) Unpack(v starlark.Value) error {
	if s, ok := v.(starlark.String); ok {
		a.s, a.isStr = string(s), true
	} else if s, ok := bytesLike(v); ok {
		a.s, a.isStr = s, false
	} else {
		return bind.Want(v, "bytes or string")
	}
	if a.nonEmpty && a.s == "" {
		return bind.Invalid("empty separator")
	}
	return nil
}

// separatorArg unpacks split's sep: non-empty bytes or a buffer, or None
// (set is false then: split on whitespace).
type separatorArg struct {
	s   string
	set bool
}

func (a *separatorArg) Unpack(v starlark.Value) error {
	if v == starlark.None {
		a.s, a.set = "", false
		return nil
	}
	s, ok := bytesLike(v)
	if !ok {
		return bind.Want(v, "bytes or None")
	}
	if s == "" {
		return bind.Invalid("empty separator")
	}
	a.s, a.set = s, true
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
// buffer, or an int in 0..255 standing for one byte.
type needleArg struct {
	s string
}

func (a *needleArg) Unpack(v starlark.Value) error {
	if i, ok := v.(starlark.Int); ok {
		n, ok := i.Int64()
		if !ok || n < 0 || n > 255 {
			return bind.Invalid("byte must be in range(0, 256), got " + i.String())
		}
		a.s = string([]byte{byte(n)})
		return nil
	}
	s, ok := bytesLike(v)
	if !ok {
		return bind.Want(v, "bytes or int")
	}
	a.s = s
	return nil
}

// sizeArg unpacks binary.buffer's size: an int64 >= 0 (checkSize checks
// that it is not too large).
type sizeArg struct {
	n int64
}

func (a *sizeArg) Unpack(v starlark.Value) error {
	i, ok := v.(starlark.Int)
	if !ok {
		return bind.Want(v, "int")
	}
	n, ok := i.Int64()
	if !ok || n < 0 {
		return bind.Invalid("must be between 0 and " + strconv.Itoa(maxSize) + ", got " + i.String())
	}
	a.n = n
	return nil
}

// unpackElement unpacks element i of the sequence parameter param.
func unpackElement(fn, param string, i int, v starlark.Value, ptr any) error {
	return asError(bind.UnpackElement(fn, param, i, v, ptr))
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
