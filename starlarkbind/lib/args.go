package lib

import (
	"github.com/starnet-dev/starnet/starlarkbind/binary"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// bytesArg unpacks a bytes-like argument: bytes or a binary.buffer (whose
// contents are copied: the function sees a snapshot).
type bytesArg struct{ s string }

// Unpack implements starlark.Unpacker.
func (a *bytesArg) Unpack(v starlark.Value) error {
	s, ok := bytesLike(v)
	if !ok {
		return bind.Want(v, "bytes")
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
		return bind.Want(v, "str or bytes")
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

// sliceBounds applies Python's start and end (negative from the end,
// clamped) to a length n; ok is false when start is past the end (where
// Python finds nothing, not even an empty string).
func sliceBounds(start, end bind.OptionalInt, n int) (lo, hi int, ok bool) {
	lo, hi = 0, n
	if start.Set {
		if start.N > n {
			return n, n, false
		}
		lo = clampIndex(start.N, n)
	}
	if end.Set {
		hi = clampIndex(end.N, n)
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

// optBytes unpacks bytes (or a buffer) or None; Set says bytes were given.
type optBytes struct {
	s   string
	Set bool
}

// Unpack implements starlark.Unpacker.
func (a *optBytes) Unpack(v starlark.Value) error {
	if v == starlark.None {
		*a = optBytes{}
		return nil
	}
	s, ok := bytesLike(v)
	if !ok {
		return bind.Want(v, "bytes or None")
	}
	*a = optBytes{s: s, Set: true}
	return nil
}

// seqArg unpacks a sequence with a length and indexing (a list, a tuple,
// a str, a range).
type seqArg struct{ starlark.Indexable }

// Unpack implements starlark.Unpacker.
func (a *seqArg) Unpack(v starlark.Value) error {
	ix, ok := v.(starlark.Indexable)
	if !ok {
		return bind.Want(v, "a sequence")
	}
	a.Indexable = ix
	return nil
}
