package binary

import (
	"fmt"
	"math"
	"strings"

	"go.starlark.net/starlark"
)

// packValues packs values by the layout, as Python's struct.pack does.
func packValues(fn string, l *layout, values starlark.Tuple) (starlark.Bytes, error) {
	if len(values) != l.nvalues {
		return "", valueErrorf(fn, "pack expected %d items for packing (got %d)", l.nvalues, len(values))
	}
	if err := checkSize(fn, l.size); err != nil {
		return "", err
	}
	var out strings.Builder
	out.Grow(l.size)
	next := 0 // index of the next value
	for i := range l.fields {
		f := &l.fields[i]
		writeZeros(&out, f.offset-out.Len())
		for j := 0; j < f.values(); j++ {
			if err := packOne(&out, f, values[next], l.little); err != nil {
				return "", valueArgError(fn, next, err)
			}
			next++
		}
	}
	writeZeros(&out, l.size-out.Len())
	return starlark.Bytes(out.String()), nil
}

// valueArgError prefixes a packing error with the index of the value in
// *values; its kind is that of err (ValueError, or OverflowError for a float
// too large for its format).
func valueArgError(fn string, index int, err error) error {
	kind := KindValueError
	if e, ok := err.(*Error); ok {
		kind, err = e.Kind, fmt.Errorf("%s", e.Message)
	}
	return newError(kind, fn, "values[%d]: %v", index, err)
}

func writeZeros(out *strings.Builder, n int) {
	for ; n > 0; n-- {
		out.WriteByte(0)
	}
}

// packOne appends one value (or, for s and p, the whole field).
func packOne(out *strings.Builder, f *field, v starlark.Value, little bool) error {
	switch f.def.kind {
	case kindChar:
		b, ok := v.(starlark.Bytes)
		if !ok || len(b) != 1 {
			return fmt.Errorf("char format requires a bytes object of length 1")
		}
		out.WriteByte(b[0])
	case kindString:
		s, ok := bytesLike(v)
		if !ok {
			return fmt.Errorf("argument for 's' must be a bytes object")
		}
		packString(out, s, f.count)
	case kindPascal:
		s, ok := bytesLike(v)
		if !ok {
			return fmt.Errorf("argument for 'p' must be a bytes object")
		}
		packPascal(out, s, f.count)
	case kindBool:
		if v.Truth() {
			out.WriteByte(1)
		} else {
			out.WriteByte(0)
		}
	case kindSigned, kindUnsigned, kindPointer:
		u, err := intBits(f.code, f.def, v)
		if err != nil {
			return err
		}
		writeUint(out, u, f.def.size, little)
	case kindHalf, kindFloat, kindDouble:
		u, err := floatBits(f.code, f.def.kind, v)
		if err != nil {
			return err
		}
		writeUint(out, u, f.def.size, little)
	}
	return nil
}

// packString writes s truncated or zero-padded to n bytes.
func packString(out *strings.Builder, s string, n int) {
	if len(s) > n {
		s = s[:n]
	}
	out.WriteString(s)
	writeZeros(out, n-len(s))
}

// packPascal writes a length byte then s, in n bytes in all. The length byte
// is min(len(s), n-1, 255). A field of size 0 writes nothing (CPython writes
// out of bounds there).
func packPascal(out *strings.Builder, s string, n int) {
	if n == 0 {
		return
	}
	if len(s) > n-1 {
		s = s[:n-1]
	}
	out.WriteByte(byte(min(len(s), 255)))
	out.WriteString(s)
	writeZeros(out, n-1-len(s))
}

// writeUint writes the low size bytes of u in the given byte order.
func writeUint(out *strings.Builder, u uint64, size int, little bool) {
	var buf [8]byte
	for i := 0; i < size; i++ {
		shift := 8 * i
		if !little {
			shift = 8 * (size - 1 - i)
		}
		buf[i] = byte(u >> shift)
	}
	out.Write(buf[:size])
}

// intBits checks an integer value against its code's range and returns its
// two's complement bits.
func intBits(code byte, def codeDef, v starlark.Value) (uint64, error) {
	i, ok := v.(starlark.Int)
	if !ok {
		return 0, fmt.Errorf("required argument is not an integer")
	}
	bits := uint(8 * def.size)
	switch def.kind {
	case kindSigned:
		n, ok := i.Int64()
		lo, hi := int64(-1)<<(bits-1), int64(uint64(1)<<(bits-1)-1)
		if !ok || n < lo || n > hi {
			return 0, fmt.Errorf("'%c' format requires %d <= number <= %d", code, lo, hi)
		}
		return uint64(n), nil
	case kindUnsigned:
		n, ok := i.Uint64()
		hi := uint64(math.MaxUint64) >> (64 - bits)
		if !ok || n > hi {
			return 0, fmt.Errorf("'%c' format requires 0 <= number <= %d", code, hi)
		}
		return n, nil
	default: // kindPointer: like C's (void *), negative values wrap
		if n, ok := i.Int64(); ok && n < 0 {
			if n < int64(-1)<<(bits-1) {
				return 0, fmt.Errorf("int too large to convert")
			}
			return uint64(n), nil
		}
		n, ok := i.Uint64()
		if !ok || n > uint64(math.MaxUint64)>>(64-bits) {
			return 0, fmt.Errorf("int too large to convert")
		}
		return n, nil
	}
}

// floatBits converts a float (or int) value to the IEEE bits of its code.
func floatBits(code byte, kind codeKind, v starlark.Value) (uint64, error) {
	var x float64
	_, isInt := v.(starlark.Int)
	switch v := v.(type) {
	case starlark.Float:
		x = canonicalNaN(float64(v))
	case starlark.Int:
		x = float64(v.Float())
		if math.IsInf(x, 0) {
			return 0, fmt.Errorf("required argument is not a float (int too large to convert to float)")
		}
	default:
		return 0, fmt.Errorf("required argument is not a float")
	}
	var bits uint64
	var ok bool
	switch kind {
	case kindHalf:
		var h uint16
		h, ok = float64ToHalf(x)
		bits = uint64(h)
	case kindFloat:
		var f uint32
		f, ok = float64ToSingle(x)
		bits = uint64(f)
	default:
		return math.Float64bits(x), nil
	}
	switch {
	case ok:
		return bits, nil
	case isInt: // CPython reports an int's overflow this way
		return 0, fmt.Errorf("int too large to convert")
	default:
		return 0, &Error{Kind: KindOverflowError, Message: fmt.Sprintf("float too large to pack with %c format", code)}
	}
}

// goNaN is the bit pattern of Go's math.NaN(), which Starlark's float("nan")
// and math.nan return; CPython's float("nan") has payload 0 instead of 1.
const goNaN = 0x7ff8000000000001

// canonicalNaN replaces Go's default NaN (of either sign) by CPython's, so
// that pack("d", float("nan")) and pack("d", -float("nan")) give Python's
// bytes. Every other NaN is kept as it is.
func canonicalNaN(x float64) float64 {
	const sign = uint64(1) << 63
	if b := math.Float64bits(x); b&^sign == goNaN {
		return math.Float64frombits(b - 1)
	}
	return x
}

// unpackValues unpacks data by the layout, as Python's struct.unpack does.
func unpackValues(fn string, l *layout, data string) (starlark.Tuple, error) {
	if len(data) != l.size {
		return nil, valueErrorf(fn, "unpack requires a buffer of %d bytes (data has %d)", l.size, len(data))
	}
	out := make(starlark.Tuple, 0, l.nvalues)
	for i := range l.fields {
		f := &l.fields[i]
		switch f.def.kind {
		case kindString:
			out = append(out, starlark.Bytes(data[f.offset:f.offset+f.count]))
		case kindPascal:
			out = append(out, unpackPascal(data[f.offset:f.offset+f.count]))
		default:
			for j := 0; j < f.count; j++ {
				at := f.offset + j*f.def.size
				out = append(out, unpackOne(f.def.kind, data[at:at+f.def.size], l.little))
			}
		}
	}
	return out, nil
}

// unpackPascal reads a p field: a length byte (capped at the field's room)
// then the bytes.
func unpackPascal(field string) starlark.Bytes {
	if field == "" {
		return ""
	}
	n := min(int(field[0]), len(field)-1)
	return starlark.Bytes(field[1 : 1+n])
}

// unpackOne converts one item's bytes to a value.
func unpackOne(kind codeKind, b string, little bool) starlark.Value {
	switch kind {
	case kindChar:
		return starlark.Bytes(b)
	case kindBool:
		return starlark.Bool(b[0] != 0)
	case kindSigned:
		u := readUint(b, little)
		shift := uint(64 - 8*len(b))
		return starlark.MakeInt64(int64(u<<shift) >> shift)
	case kindUnsigned, kindPointer:
		return starlark.MakeUint64(readUint(b, little))
	case kindHalf:
		return starlark.Float(halfToFloat64(uint16(readUint(b, little))))
	case kindFloat:
		return starlark.Float(singleToFloat64(uint32(readUint(b, little))))
	default: // kindDouble
		return starlark.Float(math.Float64frombits(readUint(b, little)))
	}
}

// readUint reads an unsigned integer of len(b) <= 8 bytes.
func readUint(b string, little bool) uint64 {
	var u uint64
	for i := 0; i < len(b); i++ {
		c := b[i]
		if little {
			c = b[len(b)-1-i]
		}
		u = u<<8 | uint64(c)
	}
	return u
}
