package lib

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/starnet-dev/starnet/loop"
)

// Encodings: UTF-8, latin-1 and ASCII, under Python's names and aliases,
// with Python's error handlers "strict", "replace" and "ignore" (and, for
// decoding, "backslashreplace").

type codec int

const (
	codecUTF8 codec = iota
	codecLatin1
	codecASCII
)

// codecNames maps Python's normalized encoding names to codecs.
var codecNames = map[string]codec{
	"utf8": codecUTF8, "utf_8": codecUTF8, "u8": codecUTF8,
	"latin1": codecLatin1, "latin_1": codecLatin1, "iso8859_1": codecLatin1, "iso_8859_1": codecLatin1, "l1": codecLatin1,
	"ascii": codecASCII, "us_ascii": codecASCII,
}

var codecDisplay = map[codec]string{codecUTF8: "utf-8", codecLatin1: "latin-1", codecASCII: "ascii"}

// lookupCodec finds an encoding as Python does: case and '-'/' ' do not matter.
func lookupCodec(fnname, encoding string) (codec, error) {
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(encoding))
	c, ok := codecNames[norm]
	if !ok {
		return 0, loop.Errorf(kindLookupError, "%s: unknown encoding: %s (supported: utf-8, latin-1, ascii)", fnname, encoding)
	}
	return c, nil
}

func checkHandler(fnname, errs string, decoding bool) error {
	switch errs {
	case "strict", "replace", "ignore":
		return nil
	case "backslashreplace":
		if decoding {
			return nil
		}
	}
	return loop.Errorf(kindLookupError, "%s: unknown error handler name %q", fnname, errs)
}

// encode encodes the str s. A Starlark str may hold bytes that are not
// UTF-8: each such byte is an error under "strict" (Python's str cannot
// hold one), U+FFFD's encoding (or '?') under "replace", dropped under
// "ignore".
func encode(fnname, s, encoding, errs string) (string, error) {
	c, err := lookupCodec(fnname, encoding)
	if err != nil {
		return "", err
	}
	if err := checkHandler(fnname, errs, false); err != nil {
		return "", err
	}
	if c == codecUTF8 && utf8.ValidString(s) {
		return s, nil
	}
	limit := map[codec]rune{codecUTF8: utf8.MaxRune, codecLatin1: 0xff, codecASCII: 0x7f}[c]
	var out strings.Builder
	pos := 0 // in characters, as Python counts
	for i := 0; i < len(s); pos++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		bad := r == utf8.RuneError && size == 1
		switch {
		case !bad && r <= limit:
			if c == codecUTF8 {
				out.WriteString(s[i : i+size])
			} else {
				out.WriteByte(byte(r))
			}
		case errs == "strict":
			what := "character '" + charEscape(r) + "'"
			reason := "ordinal not in range(" + map[codec]string{codecLatin1: "256", codecASCII: "128"}[c] + ")"
			if bad {
				what, reason = "byte 0x"+hex2(s[i]), "not valid UTF-8"
			}
			return "", loop.Errorf(kindUnicodeEncodeError, "'%s' codec can't encode %s in position %d: %s", codecDisplay[c], what, pos, reason)
		case errs == "replace":
			if c == codecUTF8 {
				out.WriteString("\uFFFD")
			} else {
				out.WriteByte('?')
			}
		}
		i += size
	}
	return out.String(), nil
}

// decode decodes data to a str.
func decode(fnname, data, encoding, errs string) (string, error) {
	c, err := lookupCodec(fnname, encoding)
	if err != nil {
		return "", err
	}
	if err := checkHandler(fnname, errs, true); err != nil {
		return "", err
	}
	switch c {
	case codecUTF8:
		if utf8.ValidString(data) {
			return data, nil
		}
		return decodeUTF8(data, errs)
	case codecLatin1:
		var out strings.Builder
		for i := 0; i < len(data); i++ {
			out.WriteRune(rune(data[i]))
		}
		return out.String(), nil
	}
	var out strings.Builder
	for i := 0; i < len(data); i++ {
		if data[i] < 0x80 {
			out.WriteByte(data[i])
			continue
		}
		if err := badByte(&out, "ascii", data, i, 1, "ordinal not in range(128)", errs); err != nil {
			return "", err
		}
	}
	return out.String(), nil
}

// decodeUTF8 decodes data that is not valid UTF-8, with Python's reasons.
func decodeUTF8(data, errs string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRuneInString(data[i:])
		if r != utf8.RuneError || size > 1 {
			out.WriteString(data[i : i+size])
			i += size
			continue
		}
		n, reason := invalidUTF8(data[i:])
		if err := badByte(&out, "utf-8", data, i, n, reason, errs); err != nil {
			return "", err
		}
		i += n
	}
	return out.String(), nil
}

// invalidUTF8 says how many bytes at the start of s (which does not start
// with a valid sequence) Python reports as one error, and why.
func invalidUTF8(s string) (int, string) {
	c := s[0]
	need, lo, hi := 0, byte(0x80), byte(0xbf)
	switch {
	case c >= 0xc2 && c <= 0xdf:
		need = 1
	case c == 0xe0:
		need, lo = 2, 0xa0
	case c == 0xed:
		need, hi = 2, 0x9f
	case c >= 0xe1 && c <= 0xef:
		need = 2
	case c == 0xf0:
		need, lo = 3, 0x90
	case c == 0xf4:
		need, hi = 3, 0x8f
	case c >= 0xf1 && c <= 0xf3:
		need = 3
	default:
		return 1, "invalid start byte"
	}
	for k := 1; k <= need; k++ {
		if k >= len(s) {
			return k, "unexpected end of data"
		}
		l, h := byte(0x80), byte(0xbf)
		if k == 1 {
			l, h = lo, hi
		}
		if s[k] < l || s[k] > h {
			return k, "invalid continuation byte"
		}
	}
	return need + 1, "invalid continuation byte" // not reached: s started with a valid sequence
}

// badByte applies the error handler to data[i:i+n].
func badByte(out *strings.Builder, codecName, data string, i, n int, reason, errs string) error {
	switch errs {
	case "strict":
		what := "byte 0x" + hex2(data[i])
		if n > 1 {
			what = "bytes in position " + itoa(i) + "-" + itoa(i+n-1)
			return loop.Errorf(kindUnicodeDecodeError, "'%s' codec can't decode %s: %s", codecName, what, reason)
		}
		return loop.Errorf(kindUnicodeDecodeError, "'%s' codec can't decode %s in position %d: %s", codecName, what, i, reason)
	case "replace":
		out.WriteString("\uFFFD")
	case "backslashreplace":
		for j := i; j < i+n; j++ {
			out.WriteString("\\x" + hex2(data[j]))
		}
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func hex2(b byte) string { return string([]byte{hexDigits[b>>4], hexDigits[b&15]}) }

// charEscape is how Python's messages show a character: '\xe9', '\u20ac', '\U0001f600'.
func charEscape(r rune) string {
	switch {
	case r < 0x100:
		return fmt.Sprintf("\\x%02x", r)
	case r < 0x10000:
		return fmt.Sprintf("\\u%04x", r)
	}
	return fmt.Sprintf("\\U%08x", r)
}

func itoa(n int) string { return itoaBase(n, 10, 1) }

// itoaBase formats n ≥ 0 in base with at least width digits.
func itoaBase(n, base, width int) string {
	var buf [32]byte
	i := len(buf)
	for n > 0 || i > len(buf)-width {
		i--
		buf[i] = hexDigits[n%base]
		n /= base
	}
	return string(buf[i:])
}
