package lib

import (
	"fmt"

	"github.com/starnet-dev/starnet/starlarkbind/binary"
	"go.starlark.net/starlark"
)

// bytesArg unpacks a bytes-like argument: bytes or a binary.buffer (whose
// contents are copied: the function sees a snapshot).
type bytesArg struct{ s string }

// Unpack implements starlark.Unpacker.
func (a *bytesArg) Unpack(v starlark.Value) error {
	s, ok := bytesLike(v)
	if !ok {
		return fmt.Errorf("got %s, want bytes", v.Type())
	}
	a.s = s
	return nil
}

// bytesLike returns the contents of bytes or a buffer.
func bytesLike(v starlark.Value) (string, bool) {
	switch v := v.(type) {
	case starlark.Bytes:
		return string(v), true
	case *binary.Buffer:
		return string(v.Bytes()), true
	}
	return "", false
}

// textArg unpacks a str or a bytes-like value; isBytes says which, so that
// a result can have the argument's type.
type textArg struct {
	s       string
	isBytes bool
}

// Unpack implements starlark.Unpacker.
func (a *textArg) Unpack(v starlark.Value) error {
	if s, ok := v.(starlark.String); ok {
		a.s, a.isBytes = string(s), false
		return nil
	}
	s, ok := bytesLike(v)
	if !ok {
		return fmt.Errorf("got %s, want str or bytes", v.Type())
	}
	a.s, a.isBytes = s, true
	return nil
}

// value returns s with the argument's type.
func (a *textArg) value(s string) starlark.Value {
	if a.isBytes {
		return starlark.Bytes(s)
	}
	return starlark.String(s)
}

// optInt unpacks an int or None (Python's start=None, end=None).
type optInt struct {
	set bool
	n   int
}

// Unpack implements starlark.Unpacker.
func (a *optInt) Unpack(v starlark.Value) error {
	if v == starlark.None {
		a.set = false
		return nil
	}
	n, err := starlark.AsInt32(v)
	if err != nil {
		return fmt.Errorf("got %s, want int or None", v.Type())
	}
	a.set, a.n = true, n
	return nil
}

// sliceBounds applies Python's start and end (negative from the end,
// clamped) to a length n; ok is false when start is past the end (where
// Python finds nothing, not even an empty string).
func sliceBounds(start, end optInt, n int) (lo, hi int, ok bool) {
	lo, hi = 0, n
	if start.set {
		if start.n > n {
			return n, n, false
		}
		lo = clampIndex(start.n, n)
	}
	if end.set {
		hi = clampIndex(end.n, n)
	}
	return lo, hi, true
}

func clampIndex(i, n int) int {
	if i < 0 {
		i += n
		if i < 0 {
			i = 0
		}
	}
	if i > n {
		i = n
	}
	return i
}

// floatArg unpacks a number, int or float, as a float.
type floatArg struct{ f float64 }

// Unpack implements starlark.Unpacker.
func (a *floatArg) Unpack(v starlark.Value) error {
	f, ok := starlark.AsFloat(v)
	if !ok {
		return fmt.Errorf("got %s, want float or int", v.Type())
	}
	a.f = f
	return nil
}
