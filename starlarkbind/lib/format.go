package lib

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// Python's format-specification mini-language (format(value, spec), and
// the replacement fields of string.format):
//
//	[[fill]align][sign]["z"]["#"]["0"][width][grouping]["." precision][type]
//
// for str, int (and bool), and float; any other value takes only the empty
// spec, which is str(value).

// fmtSpec is a parsed format spec.
type fmtSpec struct {
	fill     rune
	fillSet  bool // fill was given
	align    byte // 0, '<', '>', '^', '='
	sign     byte // 0, '+', '-', ' '
	z        bool // negative zero is shown as zero
	alt      bool // '#'
	zero     bool // '0' before the width
	width    int
	grouping byte // 0, ',', '_'
	prec     int  // -1 when absent
	typ      byte // 0 when absent
}

// parseSpec parses a format spec, as Python's format() does.
func parseSpec(s string) (fmtSpec, error) {
	sp := fmtSpec{fill: ' ', prec: -1}
	isAlign := func(c byte) bool { return c == '<' || c == '>' || c == '^' || c == '=' }
	if r, size := utf8.DecodeRuneInString(s); size > 0 && size < len(s) && isAlign(s[size]) {
		sp.fill, sp.fillSet, sp.align, s = r, true, s[size], s[size+1:]
	} else if s != "" && isAlign(s[0]) {
		sp.align, s = s[0], s[1:]
	}
	if s != "" && (s[0] == '+' || s[0] == '-' || s[0] == ' ') {
		sp.sign, s = s[0], s[1:]
	}
	if s != "" && s[0] == 'z' {
		sp.z, s = true, s[1:]
	}
	if s != "" && s[0] == '#' {
		sp.alt, s = true, s[1:]
	}
	if s != "" && s[0] == '0' {
		sp.zero, s = true, s[1:]
	}
	var err error
	if sp.width, s, err = parseCount(s, "width"); err != nil {
		return sp, err
	}
	if s != "" && (s[0] == ',' || s[0] == '_') {
		sp.grouping, s = s[0], s[1:]
		if s != "" && (s[0] == ',' || s[0] == '_') {
			return sp, valueErrorf("Cannot specify both ',' and '_'.")
		}
	}
	if s != "" && s[0] == '.' {
		digits := len(s) - len(strings.TrimLeft(s[1:], "0123456789")) - 1
		if digits == 0 {
			return sp, valueErrorf("Format specifier missing precision")
		}
		if sp.prec, s, err = parseCount(s[1:], "precision"); err != nil {
			return sp, err
		}
	}
	if len(s) > 1 {
		return sp, valueErrorf("Invalid format specifier")
	}
	if s != "" {
		sp.typ = s[0]
	}
	if sp.zero && !sp.fillSet {
		sp.fill = '0'
	}
	return sp, nil
}

// parseCount reads the leading decimal digits of s, bounded by maxSize.
func parseCount(s, what string) (int, string, error) {
	n, i := 0, 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > maxSize {
			return 0, s, valueErrorf("Too many decimal digits in format string (%s over %d)", what, maxSize)
		}
	}
	return n, s[i:], nil
}

// formatValue formats v by spec, as Python's format(v, spec).
func formatValue(v starlark.Value, spec string) (string, error) {
	switch v.(type) {
	case starlark.String, starlark.Bool, starlark.Int, starlark.Float:
	default:
		if spec != "" {
			return "", typeErrorf("unsupported format string passed to %s.__format__", v.Type())
		}
		return v.String(), nil
	}
	sp, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case starlark.String:
		return formatStr(string(x), sp)
	case starlark.Bool:
		if spec == "" {
			return x.String(), nil
		}
		n := 0
		if x {
			n = 1
		}
		return formatInt(starlark.MakeInt(n), sp, "bool")
	case starlark.Int:
		return formatInt(x, sp, "int")
	case starlark.Float:
		return formatFloat(float64(x), sp)
	}
	return v.String(), nil
}

func unknownCode(typ byte, typeName string) error {
	return valueErrorf("Unknown format code '%c' for object of type '%s'", typ, typeName)
}

// formatStr formats a str: types "" and "s"; precision truncates.
func formatStr(s string, sp fmtSpec) (string, error) {
	switch {
	case sp.typ != 0 && sp.typ != 's':
		return "", unknownCode(sp.typ, "str")
	case sp.sign != 0:
		return "", valueErrorf("Sign not allowed in string format specifier")
	case sp.z:
		return "", valueErrorf("Negative zero coercion (z) not allowed in format specifier")
	case sp.alt:
		return "", valueErrorf("Alternate form (#) not allowed in string format specifier")
	case sp.grouping != 0:
		return "", valueErrorf("Cannot specify '%c' with 's'.", sp.grouping)
	case sp.align == '=':
		return "", valueErrorf("'=' alignment not allowed in string format specifier")
	}
	if sp.prec >= 0 && utf8.RuneCountInString(s) > sp.prec {
		i, n := 0, 0
		for n < sp.prec {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			n++
		}
		s = s[:i]
	}
	return pad("", s, sp, '<')
}

// formatInt formats an int (or a bool given a spec).
func formatInt(x starlark.Int, sp fmtSpec, typeName string) (string, error) {
	switch sp.typ {
	case 'e', 'E', 'f', 'F', 'g', 'G', '%':
		f, ok := starlark.AsFloat(x)
		if !ok || math.IsInf(f, 0) {
			return "", typeErrorf("int too large to convert to float")
		}
		return formatFloat(f, sp)
	case 0, 'd', 'n', 'b', 'o', 'x', 'X', 'c':
	default:
		return "", unknownCode(sp.typ, typeName)
	}
	if sp.prec >= 0 {
		return "", valueErrorf("Precision not allowed in integer format specifier")
	}
	if sp.z {
		return "", valueErrorf("Negative zero coercion (z) not allowed in integer format specifier")
	}
	if sp.typ == 'c' {
		return formatChar(x, sp)
	}
	base, prefix := 10, ""
	switch sp.typ {
	case 'b':
		base, prefix = 2, "0b"
	case 'o':
		base, prefix = 8, "0o"
	case 'x':
		base, prefix = 16, "0x"
	case 'X':
		base, prefix = 16, "0X"
	}
	if sp.grouping == ',' && base != 10 {
		return "", valueErrorf("Cannot specify ',' with '%c'.", sp.typ)
	}
	if sp.grouping != 0 && sp.typ == 'n' {
		return "", valueErrorf("Cannot specify '%c' with 'n'.", sp.grouping)
	}
	if !sp.alt {
		prefix = ""
	}
	bi := x.BigInt()
	neg := bi.Sign() < 0
	digits := new(big.Int).Abs(bi).Text(base)
	if sp.typ == 'X' {
		digits = strings.ToUpper(digits)
	}
	return finishNumber(signOf(neg, sp)+prefix, digits, "", sp, 3+boolInt(base != 10))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// formatChar is the 'c' type: the character with code x.
func formatChar(x starlark.Int, sp fmtSpec) (string, error) {
	if sp.sign != 0 {
		return "", valueErrorf("Sign not allowed with integer format specifier 'c'")
	}
	if sp.alt {
		return "", valueErrorf("Alternate form (#) not allowed with integer format specifier 'c'")
	}
	if sp.grouping != 0 {
		return "", valueErrorf("Cannot specify '%c' with 'c'.", sp.grouping)
	}
	n, ok := x.Int64()
	if !ok || n < 0 || n > utf8.MaxRune {
		return "", loopErrorf(kindOverflowError, "%%c arg not in range(0x110000)")
	}
	return pad("", string(rune(n)), sp, '>')
}

func signOf(neg bool, sp fmtSpec) string {
	switch {
	case neg:
		return "-"
	case sp.sign == '+':
		return "+"
	case sp.sign == ' ':
		return " "
	}
	return ""
}

// formatFloat formats a float.
func formatFloat(f float64, sp fmtSpec) (string, error) {
	switch sp.typ {
	case 0, 'e', 'E', 'f', 'F', 'g', 'G', 'n', '%':
	default:
		return "", unknownCode(sp.typ, "float")
	}
	if sp.grouping != 0 && sp.typ == 'n' {
		return "", valueErrorf("Cannot specify '%c' with 'n'.", sp.grouping)
	}
	neg := math.Signbit(f)
	a := math.Abs(f)
	var body string
	switch {
	case math.IsInf(a, 0):
		body = "inf"
	case math.IsNaN(a):
		body, neg = "nan", false
	default:
		body = floatDigits(a, sp)
	}
	if sp.typ == 'E' || sp.typ == 'F' || sp.typ == 'G' {
		body = strings.ToUpper(body)
	}
	if neg && sp.z && strings.Trim(body, "0.%e+-") == "" {
		neg = false
	}
	suffix := ""
	if sp.typ == '%' {
		body, suffix = strings.TrimSuffix(body, "%"), "%"
	}
	// Split the integer part (which grouping applies to) from the rest.
	intEnd := strings.IndexFunc(body, func(r rune) bool { return r < '0' || r > '9' })
	if intEnd < 0 {
		intEnd = len(body)
	}
	return finishNumber(signOf(neg, sp), body[:intEnd], body[intEnd:]+suffix, sp, 3)
}

// floatDigits formats a ≥ 0 (finite) without sign, per sp's type.
func floatDigits(a float64, sp fmtSpec) string {
	prec := sp.prec
	switch sp.typ {
	case 'f', 'F', '%':
		if prec < 0 {
			prec = 6
		}
		if sp.typ == '%' {
			a *= 100
		}
		s := strconv.FormatFloat(a, 'f', prec, 64)
		if sp.alt && prec == 0 {
			s += "."
		}
		return s
	case 'e', 'E':
		if prec < 0 {
			prec = 6
		}
		s := strconv.FormatFloat(a, 'e', prec, 64)
		if sp.alt && prec == 0 {
			s = strings.Replace(s, "e", ".e", 1)
		}
		return s
	case 'g', 'G', 'n':
		if prec < 0 {
			prec = 6
		}
		return formatG(a, max(prec, 1), sp.alt, false)
	}
	if prec < 0 {
		return reprFloat(a)
	}
	return formatG(a, max(prec, 1), sp.alt, true)
}

// formatG is Python's 'g' with p significant digits; repr is the spec
// without a type, whose fixed notation keeps a digit after the point and
// which switches to exponent notation one digit earlier.
func formatG(a float64, p int, alt, repr bool) string {
	e := strconv.FormatFloat(a, 'e', p-1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	limit := p
	if repr {
		limit = p - 1
	}
	var s string
	if exp >= -4 && exp < limit {
		s = strconv.FormatFloat(a, 'f', max(p-1-exp, 0), 64)
		if !alt {
			s = trimFraction(s)
		}
		if repr && !strings.Contains(s, ".") {
			s += ".0"
		}
		if alt && !strings.Contains(s, ".") {
			s += "."
		}
		return s
	}
	mant, expPart := e[:strings.IndexByte(e, 'e')], e[strings.IndexByte(e, 'e'):]
	if !alt {
		mant = trimFraction(mant)
	} else if !strings.Contains(mant, ".") {
		mant += "."
	}
	return mant + expPart
}

// trimFraction drops trailing zeros after a point, and the point.
func trimFraction(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// reprFloat is Python's repr of a finite float ≥ 0: the shortest digits
// that read back, in fixed notation from 1e-4 to 1e16.
func reprFloat(a float64) string {
	e := strconv.FormatFloat(a, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if a == 0 || exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(a, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	return e
}

// finishNumber groups the integer digits, applies '0' padding and
// alignment: prefix (sign and 0x) + digits + rest.
func finishNumber(prefix, digits, rest string, sp fmtSpec, every int) (string, error) {
	if sp.zero && sp.align == 0 {
		sp.align = '='
	}
	if sp.grouping != 0 && digits != "" && digits[0] >= '0' && digits[0] <= '9' {
		if sp.align == '=' && sp.fill == '0' {
			// The zeros of the padding are grouped too, as Python does.
			for len(prefix)+len(group(digits, sp.grouping, every))+utf8.RuneCountInString(rest) < sp.width {
				digits = "0" + digits
			}
		}
		digits = group(digits, sp.grouping, every)
	}
	return pad(prefix, digits+rest, sp, '>')
}

// group inserts sep between groups of every digits, from the right.
func group(digits string, sep byte, every int) string {
	if len(digits) <= every {
		return digits
	}
	var b strings.Builder
	first := len(digits) % every
	if first == 0 {
		first = every
	}
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += every {
		b.WriteByte(sep)
		b.WriteString(digits[i : i+every])
	}
	return b.String()
}

// pad aligns prefix+body in sp.width characters; '=' puts the padding
// between them.
func pad(prefix, body string, sp fmtSpec, defaultAlign byte) (string, error) {
	n := utf8.RuneCountInString(prefix) + utf8.RuneCountInString(body)
	if sp.width <= n {
		return prefix + body, nil
	}
	if err := checkSize("", sp.width*utf8.RuneLen(sp.fill)); err != nil {
		return "", err
	}
	fill := string(sp.fill)
	gap := sp.width - n
	align := sp.align
	if align == 0 {
		align = defaultAlign
	}
	switch align {
	case '<':
		return prefix + body + strings.Repeat(fill, gap), nil
	case '^':
		left := gap / 2
		return strings.Repeat(fill, left) + prefix + body + strings.Repeat(fill, gap-left), nil
	case '=':
		return prefix + strings.Repeat(fill, gap) + body, nil
	}
	return strings.Repeat(fill, gap) + prefix + body, nil
}

// formatBuiltin is format(value, format_spec=""), Python's builtin.
func formatBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	var spec string
	if err := unpack(b.Name(), args, kwargs, "value", &v, "format_spec?", &spec); err != nil {
		return nil, err
	}
	s, err := formatValue(v, spec)
	if err != nil {
		return nil, prefixError(b.Name()+": for parameter format_spec", err)
	}
	return starlark.String(s), nil
}
