package binary

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// hex(data) -> str: lowercase hex digits, two per byte (Python bytes.hex()).
func hexEncode(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var data bytesArg
	if err := unpackArgs(fn, args, kwargs, "data", &data); err != nil {
		return nil, err
	}
	if err := checkSize(fn, 2*len(data.s)); err != nil {
		return nil, err
	}
	return starlark.String(hex.EncodeToString([]byte(data.s))), nil
}

// unhex(s) -> bytes: Python bytes.fromhex(s). s is a str or bytes of hex
// digit pairs (either case); ASCII whitespace between pairs is ignored.
func hexDecode(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var s bytesOrStrArg
	if err := unpackArgs(fn, args, kwargs, "s", &s); err != nil {
		return nil, err
	}
	out, bad := fromHex(s.s)
	if bad >= 0 {
		return nil, valueErrorf(fn, "non-hexadecimal number found in argument at position %d", bad)
	}
	return starlark.Bytes(out), nil
}

// fromHex decodes hex pairs separated by optional whitespace. On error it
// returns the byte offset of the offending (or missing) digit, else -1.
func fromHex(s string) (string, int) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			i++
			continue
		}
		hi, ok := hexDigit(s, i)
		if !ok {
			return "", i
		}
		lo, ok := hexDigit(s, i+1)
		if !ok {
			return "", i + 1
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return string(out), -1
}

// hexDigit returns the value of the hex digit s[i]; ok is false if there is
// none.
func hexDigit(s string, i int) (byte, bool) {
	if i >= len(s) {
		return 0, false
	}
	switch c := s[i]; {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// b64encode(data) -> str: standard alphabet, padded (Python
// base64.b64encode(data).decode()).
func b64encode(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var data bytesArg
	if err := unpackArgs(fn, args, kwargs, "data", &data); err != nil {
		return nil, err
	}
	if err := checkSize(fn, base64.StdEncoding.EncodedLen(len(data.s))); err != nil {
		return nil, err
	}
	return starlark.String(base64.StdEncoding.EncodeToString([]byte(data.s))), nil
}

// b64decode(s) -> bytes: Python base64.b64decode(s) (validate=False). s is
// bytes or an ASCII str. Characters outside the standard alphabet are
// skipped; decoding stops at the padding that completes a 4-character group.
func b64decode(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var s bytesOrStrArg
	if err := unpackArgs(fn, args, kwargs, "s", &s); err != nil {
		return nil, err
	}
	if s.isStr && !isASCII(s.s) {
		return nil, valueErrorf(fn, "string argument should contain only ASCII characters")
	}
	out, err := decodeBase64(s.s)
	if err != nil {
		return nil, valueErrorf(fn, "%s", err)
	}
	return starlark.Bytes(out), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// base64Error is binascii.Error's text.
type base64Error string

func (e base64Error) Error() string { return string(e) }

// decodeBase64 is CPython's binascii.a2b_base64 in non-strict mode.
func decodeBase64(s string) (string, error) {
	out := make([]byte, 0, len(s)/4*3+2)
	var acc uint32 // pending bits
	quad, pads, chars := 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					return string(out), nil
				}
			}
			continue
		}
		v, ok := base64Value(c)
		if !ok {
			continue
		}
		pads = 0
		chars++
		acc = acc<<6 | uint32(v)
		quad++
		switch quad {
		case 2:
			out = append(out, byte(acc>>4))
		case 3:
			out = append(out, byte(acc>>2))
		case 4:
			out = append(out, byte(acc))
			quad, acc = 0, 0
		}
	}
	switch quad {
	case 0:
		return string(out), nil
	case 1:
		return "", base64Error("Invalid base64-encoded string: number of data characters (" +
			strconv.Itoa(chars) + ") cannot be 1 more than a multiple of 4")
	default:
		return "", base64Error("Incorrect padding")
	}
}

// base64Value decodes one character of the standard alphabet.
func base64Value(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A', true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26, true
	case '0' <= c && c <= '9':
		return c - '0' + 52, true
	case c == '+':
		return 62, true
	case c == '/':
		return 63, true
	}
	return 0, false
}

// split(data, sep=None, maxsplit=-1) -> list of bytes: Python
// data.split(sep, maxsplit). sep None (or omitted) splits on runs of ASCII
// whitespace and drops empty pieces.
func split(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var data bytesArg
	var sep separatorArg
	maxsplit := -1
	if err := unpackArgs(fn, args, kwargs, "data", &data, "sep?", &sep, "maxsplit?", &maxsplit); err != nil {
		return nil, err
	}
	if maxsplit < 0 {
		maxsplit = len(data.s) + 1 // no limit
	}
	var pieces []string
	if !sep.set {
		pieces = splitWhitespace(data.s, maxsplit)
	} else {
		pieces = strings.SplitN(data.s, sep.s, maxsplit+1)
	}
	list := make([]starlark.Value, len(pieces))
	for i, p := range pieces {
		list[i] = starlark.Bytes(p)
	}
	return starlark.NewList(list), nil
}

// splitWhitespace is Python's bytes.split(None, maxsplit).
func splitWhitespace(s string, maxsplit int) []string {
	var out []string
	i := 0
	for ; maxsplit > 0; maxsplit-- {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return out
		}
		j := i
		for i < len(s) && !isSpace(s[i]) {
			i++
		}
		out = append(out, s[j:i])
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) {
		out = append(out, s[i:])
	}
	return out
}
