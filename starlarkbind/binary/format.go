package binary

import (
	gobinary "encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// This file parses Python struct format strings ("<hI", "@bq0i", "10s", ...)
// into a layout: where each field goes and how big the whole record is. The
// rules are CPython's Modules/_struct.c (prepare_s): an optional first byte
// order character, then codes with optional decimal repeat counts; ASCII
// whitespace between codes is ignored.

// codeKind says how a format code converts values.
type codeKind uint8

const (
	kindPad      codeKind = iota // x: a zero byte, no value
	kindChar                     // c: bytes of length 1
	kindSigned                   // b h i l q n: int
	kindUnsigned                 // B H I L Q N: int >= 0
	kindPointer                  // P: int, signed or unsigned
	kindBool                     // ?: any value, by truth
	kindHalf                     // e: float, IEEE binary16
	kindFloat                    // f: float, IEEE binary32
	kindDouble                   // d: float, IEEE binary64
	kindString                   // s: bytes, count is the length
	kindPascal                   // p: bytes with a length byte, count is the total size
)

// codeDef is one row of a CPython format table.
type codeDef struct {
	kind  codeKind
	size  int
	align int // native mode only; 0 means none
}

// Sizes of C types on this platform, for native mode ('@'). starnet runs on
// LP64 systems (Linux, macOS, the BSDs), where long, size_t and pointers have
// the pointer's size.
const (
	ptrSize   = int(unsafe.Sizeof(uintptr(0)))
	longSize  = strconv.IntSize / 8
	int64Algn = int(unsafe.Alignof(int64(0)))
	fl64Algn  = int(unsafe.Alignof(float64(0)))
)

// nativeCode is CPython's native_table: C sizes and alignments.
func nativeCode(c byte) (codeDef, bool) {
	switch c {
	case 'x':
		return codeDef{kindPad, 1, 0}, true
	case 'c':
		return codeDef{kindChar, 1, 0}, true
	case 's':
		return codeDef{kindString, 1, 0}, true
	case 'p':
		return codeDef{kindPascal, 1, 0}, true
	case 'b':
		return codeDef{kindSigned, 1, 0}, true
	case 'B':
		return codeDef{kindUnsigned, 1, 0}, true
	case '?':
		return codeDef{kindBool, 1, 1}, true
	case 'h':
		return codeDef{kindSigned, 2, 2}, true
	case 'H':
		return codeDef{kindUnsigned, 2, 2}, true
	case 'i':
		return codeDef{kindSigned, 4, 4}, true
	case 'I':
		return codeDef{kindUnsigned, 4, 4}, true
	case 'l':
		return codeDef{kindSigned, longSize, longSize}, true
	case 'L':
		return codeDef{kindUnsigned, longSize, longSize}, true
	case 'n':
		return codeDef{kindSigned, ptrSize, ptrSize}, true
	case 'N':
		return codeDef{kindUnsigned, ptrSize, ptrSize}, true
	case 'q':
		return codeDef{kindSigned, 8, int64Algn}, true
	case 'Q':
		return codeDef{kindUnsigned, 8, int64Algn}, true
	case 'P':
		return codeDef{kindPointer, ptrSize, ptrSize}, true
	case 'e':
		return codeDef{kindHalf, 2, 2}, true
	case 'f':
		return codeDef{kindFloat, 4, 4}, true
	case 'd':
		return codeDef{kindDouble, 8, fl64Algn}, true
	}
	return codeDef{}, false
}

// standardCode is CPython's big- and little-endian tables: standard sizes, no
// alignment, and no n, N or P.
func standardCode(c byte) (codeDef, bool) {
	switch c {
	case 'n', 'N', 'P':
		return codeDef{}, false
	case 'l':
		return codeDef{kindSigned, 4, 0}, true
	case 'L':
		return codeDef{kindUnsigned, 4, 0}, true
	}
	d, ok := nativeCode(c)
	d.align = 0
	return d, ok
}

// field is one non-pad code of a format: count values of def (or, for s and
// p, one value of count bytes) starting at offset.
type field struct {
	code   byte
	def    codeDef
	offset int
	count  int
}

// values is how many Python values the field takes or yields.
func (f *field) values() int {
	if f.def.kind == kindString || f.def.kind == kindPascal {
		return 1
	}
	return f.count
}

// layout is a parsed format.
type layout struct {
	fields  []field
	size    int // calcsize
	nvalues int // how many values pack takes and unpack returns
	little  bool
}

// hostLittleEndian reports whether this machine is little-endian (the byte
// order of '@' and '=').
func hostLittleEndian() bool {
	return gobinary.NativeEndian.Uint16([]byte{1, 0}) == 1
}

// formatError is struct.error for a malformed format, reported as ValueError.
func formatError(fn, msg string) error {
	return valueErrorf(fn, "%s", msg)
}

// inlineFields is how many fields a format may have before parseFormat
// allocates; most formats have fewer.
const inlineFields = 8

// parseFormat parses a struct format. fn names the calling function in
// errors. The fields are appended to scratch (pass a slice of a local array
// to avoid allocating).
func parseFormat(fn, format string, scratch []field) (layout, error) {
	var zero layout
	for i := 0; i < len(format); i++ {
		if format[i] == 0 {
			return zero, formatError(fn, "embedded null character")
		}
	}
	l := layout{little: hostLittleEndian(), fields: scratch[:0]}
	native, rest := true, format
	if rest != "" {
		switch rest[0] {
		case '@':
			rest = rest[1:]
		case '=':
			native, rest = false, rest[1:]
		case '<':
			native, l.little, rest = false, true, rest[1:]
		case '>', '!':
			native, l.little, rest = false, false, rest[1:]
		}
	}
	lookup := standardCode
	if native {
		lookup = nativeCode
	}
	size := 0
	for i := 0; i < len(rest); {
		c := rest[i]
		i++
		if isSpace(c) {
			continue
		}
		num := 1
		if isDigit(c) {
			var err error
			num, c, i, err = parseCount(fn, rest, i-1)
			if err != nil {
				return zero, err
			}
		}
		def, ok := lookup(c)
		if !ok {
			return zero, formatError(fn, badCharMessage(c, native))
		}
		var err error
		if size, err = alignUp(fn, size, def.align); err != nil {
			return zero, err
		}
		if num > (math.MaxInt-size)/def.size {
			return zero, formatError(fn, "total struct size too long")
		}
		if def.kind != kindPad && (num > 0 || def.kind == kindString || def.kind == kindPascal) {
			f := field{code: c, def: def, offset: size, count: num}
			l.fields = append(l.fields, f)
			l.nvalues += f.values()
		}
		size += num * def.size
	}
	l.size = size
	return l, nil
}

// parseCount reads the repeat count starting at s[i] (a digit) and the code
// after it. It returns the count, the code and the index after the code.
func parseCount(fn, s string, i int) (num int, code byte, next int, err error) {
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := int(s[i] - '0')
		if num > (math.MaxInt-d)/10 {
			return 0, 0, 0, formatError(fn, "total struct size too long")
		}
		num = num*10 + d
	}
	if i == len(s) {
		return 0, 0, 0, formatError(fn, "repeat count given without format specifier")
	}
	return num, s[i], i + 1, nil
}

// alignUp rounds size up to a multiple of align (native mode).
func alignUp(fn string, size, align int) (int, error) {
	if align <= 1 || size == 0 {
		return size, nil
	}
	extra := (align - 1) - (size-1)%align
	if extra > math.MaxInt-size {
		return 0, formatError(fn, "total struct size too long")
	}
	return size + extra, nil
}

// badCharMessage is Python's "bad char in struct format", with the char and,
// where it helps, why.
func badCharMessage(c byte, native bool) string {
	msg := fmt.Sprintf("bad char in struct format: %s", quoteByte(c))
	switch {
	case !native && (c == 'n' || c == 'N' || c == 'P'):
		msg += " is only allowed in native mode (no byte order prefix, or '@')"
	case c == '@' || c == '=' || c == '<' || c == '>' || c == '!':
		msg += " (a byte order character must come first)"
	case c == 'F' || c == 'D':
		msg += " (complex numbers are not supported)"
	}
	return msg
}

// quoteByte shows a format byte as Python would, 'x' or '\xNN'.
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f && c != '\'' && c != '\\' {
		return "'" + string(c) + "'"
	}
	return fmt.Sprintf("'\\x%02x'", c)
}

// isSpace is Python's Py_ISSPACE: ASCII whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
