package lib

import (
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// The bytes module: Python's bytes methods as functions that take the data
// first, as Python's unbound methods do (bytes.partition(data, sep) is
// Python's data.partition(sep)), since Starlark's bytes type cannot grow
// methods. The module is also the bytes builtin it replaces: bytes(x) is
// Starlark's, and bytes(s, encoding, errors="strict") encodes s as
// Python's does. Wherever data is taken, a binary.buffer is taken too.

// bytesWhitespace is Python's bytes whitespace (bytes.isspace, split(None)).
const bytesWhitespace = " \t\n\r\x0b\x0c"

// bytesFuncs are the module's functions.
var bytesFuncs = map[string]starlark.Builtin{}

func init() {
	for name, fn := range map[string]func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error){
		"partition": bytesPartition, "rpartition": bytesPartition,
		"split": bytesSplit, "rsplit": bytesSplit, "splitlines": bytesSplitlines,
		"strip": bytesStrip, "lstrip": bytesStrip, "rstrip": bytesStrip,
		"startswith": bytesStartsWith, "endswith": bytesStartsWith,
		"find": bytesFind, "rfind": bytesFind, "index": bytesFind, "rindex": bytesFind, "count": bytesFind,
		"replace": bytesReplace, "removeprefix": bytesRemoveAffix, "removesuffix": bytesRemoveAffix,
		"join": bytesJoin, "upper": bytesCase, "lower": bytesCase,
		"isdigit": bytesIs, "isalpha": bytesIs, "isalnum": bytesIs, "isspace": bytesIs,
		"isupper": bytesIs, "islower": bytesIs,
		"ljust": bytesJustify, "rjust": bytesJustify, "center": bytesJustify, "zfill": bytesZfill,
		"decode": bytesDecode,
	} {
		bytesFuncs[name] = *starlark.NewBuiltin("bytes."+name, fn)
	}
}

// bytesModule is the bytes builtin with the module's functions as attributes.
type bytesModule struct{ members starlark.StringDict }

var (
	_ starlark.Callable = (*bytesModule)(nil)
	_ starlark.HasAttrs = (*bytesModule)(nil)
)

func newBytesModule() *bytesModule {
	m := &bytesModule{members: starlark.StringDict{}}
	for name := range bytesFuncs {
		b := bytesFuncs[name]
		m.members[name] = &b
	}
	return m
}

// Name returns "bytes".
func (m *bytesModule) Name() string { return "bytes" }

// String reads as the builtin it replaces.
func (m *bytesModule) String() string { return "<built-in function bytes>" }

// Type is the builtin's type.
func (m *bytesModule) Type() string { return "builtin_function_or_method" }

// Freeze does nothing: the module is immutable.
func (m *bytesModule) Freeze() {}

// Truth is true.
func (m *bytesModule) Truth() starlark.Bool { return starlark.True }

// Hash hashes the name.
func (m *bytesModule) Hash() (uint32, error) { return starlark.String("bytes").Hash() }

// Attr returns a function of the module.
func (m *bytesModule) Attr(name string) (starlark.Value, error) { return m.members[name], nil }

// AttrNames lists the functions.
func (m *bytesModule) AttrNames() []string { return m.members.Keys() }

// CallInternal is bytes(x) (Starlark's) or bytes(s, encoding, errors).
func (m *bytesModule) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) <= 1 && len(kwargs) == 0 {
		return starlark.Call(thread, starlark.Universe["bytes"], args, kwargs)
	}
	var s, encoding string
	errs := "strict"
	if err := unpack("bytes", args, kwargs, "source", &s, "encoding", &encoding, "errors?", &errs); err != nil {
		return nil, err
	}
	b, err := encode("bytes", s, encoding, errs)
	if err != nil {
		return nil, err
	}
	return starlark.Bytes(b), nil
}

// needleArg unpacks what Python's bytes.find accepts as sub: bytes (or a
// buffer) or an int standing for one byte.
type needleArg struct{ s string }

// Unpack implements starlark.Unpacker.
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

// sepArg unpacks a non-empty separator (bytes); with optional, None too
// (split's sep: whitespace).
type sepArg struct {
	s        string
	optional bool
	none     bool
}

// Unpack implements starlark.Unpacker.
func (a *sepArg) Unpack(v starlark.Value) error {
	if a.optional && v == starlark.None {
		a.none = true
		return nil
	}
	s, ok := bytesLike(v)
	if !ok {
		if a.optional {
			return bind.Want(v, "bytes or None")
		}
		return bind.Want(v, "bytes")
	}
	if s == "" {
		return bind.Invalid("empty separator")
	}
	a.s, a.none = s, false
	return nil
}

// prefixArg unpacks startswith's prefix: bytes or a tuple of bytes.
type prefixArg struct{ list []string }

// Unpack implements starlark.Unpacker.
func (a *prefixArg) Unpack(v starlark.Value) error {
	items := []starlark.Value{v}
	if t, ok := v.(starlark.Tuple); ok {
		items = t
	}
	a.list = a.list[:0]
	for _, x := range items {
		s, ok := bytesLike(x)
		if !ok {
			return bind.Want(x, "bytes or a tuple of bytes")
		}
		a.list = append(a.list, s)
	}
	return nil
}

func bytesTuple(parts ...string) starlark.Tuple {
	t := make(starlark.Tuple, len(parts))
	for i, p := range parts {
		t[i] = starlark.Bytes(p)
	}
	return t
}

func bytesList(parts []string) *starlark.List {
	l := make([]starlark.Value, len(parts))
	for i, p := range parts {
		l[i] = starlark.Bytes(p)
	}
	return starlark.NewList(l)
}

// shortName is the method name of a builtin ("bytes.rsplit" -> "rsplit").
func shortName(b *starlark.Builtin) string { return lastPart(b.Name()) }

// lastPart is what follows the last '.' of name.
func lastPart(name string) string { return name[strings.LastIndexByte(name, '.')+1:] }

func bytesPartition(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	var sep sepArg
	if err := unpack(b.Name(), args, kwargs, "data", &data, "sep", &sep); err != nil {
		return nil, err
	}
	if shortName(b) == "rpartition" {
		if i := strings.LastIndex(data.s, sep.s); i >= 0 {
			return bytesTuple(data.s[:i], sep.s, data.s[i+len(sep.s):]), nil
		}
		return bytesTuple("", "", data.s), nil
	}
	if before, after, ok := strings.Cut(data.s, sep.s); ok {
		return bytesTuple(before, sep.s, after), nil
	}
	return bytesTuple(data.s, "", ""), nil
}

func bytesSplit(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	sep := sepArg{optional: true, none: true}
	maxsplit := -1
	if err := unpack(b.Name(), args, kwargs, "data", &data, "sep?", &sep, "maxsplit?", &maxsplit); err != nil {
		return nil, err
	}
	right := shortName(b) == "rsplit"
	if sep.none {
		return bytesList(splitWhitespace(data.s, maxsplit, right)), nil
	}
	if maxsplit < 0 {
		return bytesList(strings.Split(data.s, sep.s)), nil
	}
	if !right {
		return bytesList(strings.SplitN(data.s, sep.s, maxsplit+1)), nil
	}
	var parts []string
	s := data.s
	for ; maxsplit > 0; maxsplit-- {
		i := strings.LastIndex(s, sep.s)
		if i < 0 {
			break
		}
		parts = append(parts, s[i+len(sep.s):])
		s = s[:i]
	}
	parts = append(parts, s)
	reverse(parts)
	return bytesList(parts), nil
}

func reverse(s []string) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// splitWhitespace is Python's split() and rsplit() with no separator.
func splitWhitespace(s string, maxsplit int, right bool) []string {
	isSpace := func(r rune) bool { return strings.ContainsRune(bytesWhitespace, r) }
	fields := strings.FieldsFunc(s, isSpace)
	if maxsplit < 0 || len(fields) <= maxsplit+1 {
		return fields
	}
	if !right {
		rest := s
		var parts []string
		for i := 0; i < maxsplit; i++ {
			rest = strings.TrimLeft(rest, bytesWhitespace)
			j := strings.IndexAny(rest, bytesWhitespace)
			parts = append(parts, rest[:j])
			rest = rest[j:]
		}
		return append(parts, strings.TrimLeft(rest, bytesWhitespace))
	}
	rest := s
	var parts []string
	for i := 0; i < maxsplit; i++ {
		rest = strings.TrimRight(rest, bytesWhitespace)
		j := strings.LastIndexAny(rest, bytesWhitespace)
		parts = append(parts, rest[j+1:])
		rest = rest[:j+1]
	}
	parts = append(parts, strings.TrimRight(rest, bytesWhitespace))
	reverse(parts)
	return parts
}

func bytesSplitlines(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	keepends := false
	if err := unpack(b.Name(), args, kwargs, "data", &data, "keepends?", &keepends); err != nil {
		return nil, err
	}
	var lines []string
	s := data.s
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		end := i + 1
		if s[i] == '\r' && end < len(s) && s[end] == '\n' {
			end++
		}
		if keepends {
			lines = append(lines, s[:end])
		} else {
			lines = append(lines, s[:i])
		}
		s = s[end:]
	}
	return bytesList(lines), nil
}

func bytesStrip(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	var chars optBytes
	if err := unpack(b.Name(), args, kwargs, "data", &data, "chars?", &chars); err != nil {
		return nil, err
	}
	cut := bytesWhitespace
	if chars.Set {
		cut = chars.s
	}
	s := data.s
	name := shortName(b)
	if name != "rstrip" {
		s = trimLeftBytes(s, cut)
	}
	if name != "lstrip" {
		s = trimRightBytes(s, cut)
	}
	return starlark.Bytes(s), nil
}

// trimLeftBytes and trimRightBytes trim bytes (not UTF-8 runes) in cut.
func trimLeftBytes(s, cut string) string {
	for s != "" && strings.IndexByte(cut, s[0]) >= 0 {
		s = s[1:]
	}
	return s
}

func trimRightBytes(s, cut string) string {
	for s != "" && strings.IndexByte(cut, s[len(s)-1]) >= 0 {
		s = s[:len(s)-1]
	}
	return s
}

func bytesStartsWith(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	var affix prefixArg
	var start, end bind.OptionalInt
	if err := unpack(b.Name(), args, kwargs, "data", &data, "prefix", &affix, "start?", &start, "end?", &end); err != nil {
		return nil, err
	}
	lo, hi, ok := sliceBounds(start, end, len(data.s))
	if !ok {
		return starlark.False, nil
	}
	s := ""
	if lo <= hi {
		s = data.s[lo:hi]
	}
	test := strings.HasPrefix
	if shortName(b) == "endswith" {
		test = strings.HasSuffix
	}
	for _, p := range affix.list {
		if test(s, p) {
			return starlark.True, nil
		}
	}
	return starlark.False, nil
}

func bytesFind(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	var sub needleArg
	var start, end bind.OptionalInt
	if err := unpack(b.Name(), args, kwargs, "data", &data, "sub", &sub, "start?", &start, "end?", &end); err != nil {
		return nil, err
	}
	lo, hi, ok := sliceBounds(start, end, len(data.s))
	name := shortName(b)
	if !ok || lo > hi {
		if name == "count" {
			return starlark.MakeInt(0), nil
		}
		return notFound(b, name)
	}
	s := data.s[lo:hi]
	var i int
	switch name {
	case "count":
		if sub.s == "" {
			return starlark.MakeInt(len(s) + 1), nil
		}
		return starlark.MakeInt(strings.Count(s, sub.s)), nil
	case "find", "index":
		i = strings.Index(s, sub.s)
	default:
		i = strings.LastIndex(s, sub.s)
	}
	if i < 0 {
		return notFound(b, name)
	}
	return starlark.MakeInt(lo + i), nil
}

// notFound is find's -1 or index's ValueError.
func notFound(b *starlark.Builtin, name string) (starlark.Value, error) {
	if name == "index" || name == "rindex" {
		return nil, valueErrorf("%s: subsection not found", b.Name())
	}
	return starlark.MakeInt(-1), nil
}

func bytesReplace(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data, old, new bytesArg
	count := -1
	if err := unpack(b.Name(), args, kwargs, "data", &data, "old", &old, "new", &new, "count?", &count); err != nil {
		return nil, err
	}
	n := strings.Count(data.s, old.s)
	if count >= 0 && count < n {
		n = count
	}
	if err := checkSize(b.Name(), len(data.s)+n*(len(new.s)-len(old.s))); err != nil {
		return nil, err
	}
	return starlark.Bytes(strings.Replace(data.s, old.s, new.s, count)), nil
}

func bytesRemoveAffix(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data, affix bytesArg
	if err := unpack(b.Name(), args, kwargs, "data", &data, "affix", &affix); err != nil {
		return nil, err
	}
	if shortName(b) == "removeprefix" {
		return starlark.Bytes(strings.TrimPrefix(data.s, affix.s)), nil
	}
	return starlark.Bytes(strings.TrimSuffix(data.s, affix.s)), nil
}

func bytesJoin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sep bytesArg
	var parts starlark.Iterable
	if err := unpack(b.Name(), args, kwargs, "sep", &sep, "parts", &parts); err != nil {
		return nil, err
	}
	var sb strings.Builder
	it := parts.Iterate()
	defer it.Done()
	var x starlark.Value
	for i := 0; it.Next(&x); i++ {
		var part bytesArg
		if err := bind.UnpackElement(b.Name(), "parts", i, x, &part); err != nil {
			return nil, err
		}
		s := part.s
		if i > 0 {
			sb.WriteString(sep.s)
		}
		if err := checkSize(b.Name(), sb.Len()+len(s)); err != nil {
			return nil, err
		}
		sb.WriteString(s)
	}
	return starlark.Bytes(sb.String()), nil
}

func bytesCase(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	if err := unpack(b.Name(), args, kwargs, "data", &data); err != nil {
		return nil, err
	}
	out := []byte(data.s)
	upper := shortName(b) == "upper"
	for i, c := range out {
		switch {
		case upper && 'a' <= c && c <= 'z':
			out[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			out[i] = c - 'A' + 'a'
		}
	}
	return starlark.Bytes(out), nil
}

// byteClasses are the ASCII tests of bytes.isdigit and friends.
var byteClasses = map[string]func(c byte) bool{
	"isdigit": func(c byte) bool { return '0' <= c && c <= '9' },
	"isalpha": func(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' },
	"isalnum": func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' },
	"isspace": func(c byte) bool { return strings.IndexByte(bytesWhitespace, c) >= 0 },
}

func bytesIs(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	if err := unpack(b.Name(), args, kwargs, "data", &data); err != nil {
		return nil, err
	}
	name := shortName(b)
	if name == "isupper" || name == "islower" {
		return starlark.Bool(hasCase(data.s, name == "isupper")), nil
	}
	test := byteClasses[name]
	if data.s == "" {
		return starlark.False, nil
	}
	for i := 0; i < len(data.s); i++ {
		if !test(data.s[i]) {
			return starlark.False, nil
		}
	}
	return starlark.True, nil
}

// hasCase is Python's bytes.isupper (upper) or islower: at least one cased
// byte, and none of the other case.
func hasCase(s string, upper bool) bool {
	cased := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		isUpper, isLower := 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z'
		if (upper && isLower) || (!upper && isUpper) {
			return false
		}
		cased = cased || isUpper || isLower
	}
	return cased
}

// fillArg unpacks a fill byte: bytes of length 1.
type fillArg struct{ c string }

// Unpack implements starlark.Unpacker.
func (a *fillArg) Unpack(v starlark.Value) error {
	s, ok := bytesLike(v)
	if !ok {
		return bind.Want(v, "bytes")
	}
	if len(s) != 1 {
		return bind.Mistyped("must be a byte string of length 1, not " + itoa(len(s)))
	}
	a.c = s
	return nil
}

func bytesJustify(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	var width int
	fill := fillArg{c: " "}
	if err := unpack(b.Name(), args, kwargs, "data", &data, "width", &width, "fillbyte?", &fill); err != nil {
		return nil, err
	}
	pad := width - len(data.s)
	if pad <= 0 {
		return starlark.Bytes(data.s), nil
	}
	if err := checkSize(b.Name(), width); err != nil {
		return nil, err
	}
	left := 0
	switch shortName(b) {
	case "rjust":
		left = pad
	case "center":
		// Python's rounding: the extra byte goes left when both are odd.
		left = pad/2 + (pad & width & 1)
	}
	return starlark.Bytes(strings.Repeat(fill.c, left) + data.s + strings.Repeat(fill.c, pad-left)), nil
}

func bytesZfill(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	var width int
	if err := unpack(b.Name(), args, kwargs, "data", &data, "width", &width); err != nil {
		return nil, err
	}
	pad := width - len(data.s)
	if pad <= 0 {
		return starlark.Bytes(data.s), nil
	}
	if err := checkSize(b.Name(), width); err != nil {
		return nil, err
	}
	s, sign := data.s, ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	return starlark.Bytes(sign + strings.Repeat("0", pad) + s), nil
}

func bytesDecode(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data bytesArg
	encoding, errs := "utf-8", "strict"
	if err := unpack(b.Name(), args, kwargs, "data", &data, "encoding?", &encoding, "errors?", &errs); err != nil {
		return nil, err
	}
	s, err := decode(b.Name(), data.s, encoding, errs)
	if err != nil {
		return nil, err
	}
	return starlark.String(s), nil
}

// IsBytesFunction reports whether the bytes module has a function name
// (bytes.partition, ...): Python's bytes method of that name, for hints.
func IsBytesFunction(name string) bool {
	_, ok := bytesFuncs[name]
	return ok
}
