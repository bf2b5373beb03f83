// Package binary is starnet's Starlark `binary` module (API.md "Modules"): Python
// struct-style packing, hex and base64, byte-string search helpers, and the
// mutable byte buffer used for stream framing and by BufferedProtocol.
//
//	binary.pack(fmt, *values) -> bytes        Python struct.pack
//	binary.unpack(fmt, data) -> tuple         Python struct.unpack
//	binary.calcsize(fmt) -> int               Python struct.calcsize
//	binary.hex(data) -> str                   Python bytes.hex()
//	binary.unhex(s) -> bytes                  Python bytes.fromhex(s)
//	binary.b64encode(data) -> str             Python base64.b64encode(data).decode()
//	binary.b64decode(s) -> bytes              Python base64.b64decode(s)
//	binary.find(data, sub, start=0) -> int    Python data.find(sub, start)
//	binary.split(data, sep, maxsplit=-1)      Python data.split(sep, maxsplit); sep None: whitespace
//	binary.join(sep, parts) -> bytes          Python sep.join(parts)
//	binary.buffer(size=0) -> buffer           a mutable byte buffer (see Buffer)
//
// Wherever a function takes bytes ("data", "sub", "sep", "parts" items, the
// values of 's' and 'p'), a buffer is accepted too, as Python accepts
// bytearray. Strings are accepted only where Python accepts them: the
// format of pack/unpack/calcsize, unhex and b64decode (ASCII), and — a
// starnet convenience — buffer.append and buffer.readline's separator.
//
// Errors read like Python's, with the Python exception class first and the
// function name after it:
//
//	TypeError: binary.pack: for parameter fmt: got int, want string or bytes
//	ValueError: binary.unpack: unpack requires a buffer of 8 bytes (data has 3)
//
// Python's struct.error is reported as ValueError. See Error.
package binary

import (
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// NewModule returns the `binary` module. Its members are immutable builtins;
// each call returns a fresh module.
func NewModule() *starlarkstruct.Module {
	return &starlarkstruct.Module{
		Name: "binary",
		Members: starlark.StringDict{
			"pack":      starlark.NewBuiltin("binary.pack", pack),
			"unpack":    starlark.NewBuiltin("binary.unpack", unpack),
			"calcsize":  starlark.NewBuiltin("binary.calcsize", calcsize),
			"hex":       starlark.NewBuiltin("binary.hex", hexEncode),
			"unhex":     starlark.NewBuiltin("binary.unhex", hexDecode),
			"b64encode": starlark.NewBuiltin("binary.b64encode", b64encode),
			"b64decode": starlark.NewBuiltin("binary.b64decode", b64decode),
			"find":      starlark.NewBuiltin("binary.find", find),
			"split":     starlark.NewBuiltin("binary.split", split),
			"join":      starlark.NewBuiltin("binary.join", join),
			"buffer":    starlark.NewBuiltin("binary.buffer", newBuffer),
		},
	}
}

// formatArg unpacks a struct format: a string or bytes.
type formatArg struct {
	s string
}

func (a *formatArg) Unpack(v starlark.Value) error {
	s, ok := formatString(v)
	if !ok {
		return bind.Want(v, "string or bytes")
	}
	a.s = s
	return nil
}

func formatString(v starlark.Value) (string, bool) {
	switch v := v.(type) {
	case starlark.String:
		return string(v), true
	case starlark.Bytes:
		return string(v), true
	}
	return "", false
}

// pack(fmt, *values) -> bytes
func pack(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	if len(kwargs) > 0 {
		return nil, typeErrorf(fn, "unexpected keyword arguments")
	}
	if len(args) == 0 {
		return nil, typeErrorf(fn, "missing argument for fmt")
	}
	format, ok := formatString(args[0])
	if !ok {
		var arg formatArg // for UnpackArgs's error message
		return nil, unpackArgs(fn, args[:1], nil, "fmt", &arg)
	}
	var scratch [inlineFields]field
	l, err := parseFormat(fn, format, scratch[:0])
	if err != nil {
		return nil, err
	}
	return packValues(fn, &l, args[1:])
}

// unpack(fmt, data) -> tuple
func unpack(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	format, data, ok := unpackFastArgs(args, kwargs)
	if !ok {
		var formatA formatArg
		var dataA bytesArg
		if err := unpackArgs(fn, args, kwargs, "fmt", &formatA, "data", &dataA); err != nil {
			return nil, err
		}
		format, data = formatA.s, dataA.s
	}
	var scratch [inlineFields]field
	l, err := parseFormat(fn, format, scratch[:0])
	if err != nil {
		return nil, err
	}
	return unpackValues(fn, &l, data)
}

// unpackFastArgs takes unpack's arguments without UnpackArgs (which
// allocates) in the common case of two well-typed positional arguments.
func unpackFastArgs(args starlark.Tuple, kwargs []starlark.Tuple) (format, data string, ok bool) {
	if len(args) != 2 || len(kwargs) != 0 {
		return "", "", false
	}
	if format, ok = formatString(args[0]); !ok {
		return "", "", false
	}
	data, ok = bytesLike(args[1])
	return format, data, ok
}

// calcsize(fmt) -> int
func calcsize(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var format formatArg
	if err := unpackArgs(fn, args, kwargs, "fmt", &format); err != nil {
		return nil, err
	}
	var scratch [inlineFields]field
	l, err := parseFormat(fn, format.s, scratch[:0])
	if err != nil {
		return nil, err
	}
	return starlark.MakeInt(l.size), nil
}

// buffer(size=0) -> buffer
func newBuffer(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var size sizeArg
	if err := unpackArgs(fn, args, kwargs, "size?", &size); err != nil {
		return nil, err
	}
	if err := checkSize(fn, int(min(size.n, maxSize+1))); err != nil {
		return nil, err
	}
	return NewBuffer(int(size.n)), nil
}

// find(data, sub, start=0) -> int
func find(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var data bytesArg
	var sub needleArg
	start := 0
	if err := unpackArgs(fn, args, kwargs, "data", &data, "sub", &sub, "start?", &start); err != nil {
		return nil, err
	}
	return starlark.MakeInt(findFrom(data.s, sub.s, start)), nil
}

// findFrom is Python's bytes.find(sub, start).
func findFrom(data, sub string, start int) int {
	start = adjustStart(start, len(data))
	if start > len(data) {
		return -1
	}
	i := strings.Index(data[start:], sub)
	if i < 0 {
		return -1
	}
	return start + i
}

// join(sep, parts) -> bytes
func join(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var sep bytesArg
	var parts starlark.Iterable
	if err := unpackArgs(fn, args, kwargs, "sep", &sep, "parts", &parts); err != nil {
		return nil, err
	}
	var out strings.Builder
	iter := parts.Iterate()
	defer iter.Done()
	var part starlark.Value
	for i := 0; iter.Next(&part); i++ {
		var p bytesArg
		if err := unpackElement(fn, "parts", i, part, &p); err != nil {
			return nil, err
		}
		s := p.s
		if i > 0 {
			if err := checkSize(fn, out.Len()+len(sep.s)); err != nil {
				return nil, err
			}
			out.WriteString(sep.s)
		}
		if err := checkSize(fn, out.Len()+len(s)); err != nil {
			return nil, err
		}
		out.WriteString(s)
	}
	return starlark.Bytes(out.String()), nil
}
