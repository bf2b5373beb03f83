package lib

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// The re module: Python's re over Go's regexp, whose syntax is RE2's
// (API.md §6 "Library" lists where it differs from Python's). Patterns and
// subjects are str or bytes, not mixed; a bytes pattern matches bytes one
// byte at a time, as in Python: both are read as latin-1 text for Go's
// matcher, and the offsets mapped back.

// Python's flag values.
const (
	reFlagI = 2
	reFlagL = 4
	reFlagM = 8
	reFlagS = 16
	reFlagU = 32
	reFlagX = 64
	reFlagA = 256
)

// reCacheSize bounds the module's cache of compiled patterns.
const reCacheSize = 256

// reModule holds one loop's cache of compiled patterns (re.search(p, s)
// compiles p once).
type reModule struct {
	mu    sync.Mutex
	cache map[reKey]*rePattern
}

type reKey struct {
	pattern string
	isBytes bool
	flags   int
}

func newREModule() *starlarkstruct.Module {
	m := &reModule{cache: map[reKey]*rePattern{}}
	members := starlark.StringDict{
		"compile":   starlark.NewBuiltin("re.compile", m.compile),
		"search":    starlark.NewBuiltin("re.search", m.function),
		"match":     starlark.NewBuiltin("re.match", m.function),
		"fullmatch": starlark.NewBuiltin("re.fullmatch", m.function),
		"findall":   starlark.NewBuiltin("re.findall", m.function),
		"finditer":  starlark.NewBuiltin("re.finditer", m.function),
		"split":     starlark.NewBuiltin("re.split", m.split),
		"sub":       starlark.NewBuiltin("re.sub", m.sub),
		"subn":      starlark.NewBuiltin("re.subn", m.sub),
		"escape":    starlark.NewBuiltin("re.escape", reEscape),
		"NOFLAG":    starlark.MakeInt(0),
	}
	for _, f := range []struct {
		short, long string
		v           int
	}{{"I", "IGNORECASE", reFlagI}, {"L", "LOCALE", reFlagL}, {"M", "MULTILINE", reFlagM}, {"S", "DOTALL", reFlagS},
		{"U", "UNICODE", reFlagU}, {"X", "VERBOSE", reFlagX}, {"A", "ASCII", reFlagA}} {
		members[f.short] = starlark.MakeInt(f.v)
		members[f.long] = starlark.MakeInt(f.v)
	}
	return &starlarkstruct.Module{Name: "re", Members: members}
}

// patternArg unpacks a pattern: a compiled Pattern, or a str or bytes to
// compile (patternOf compiles it, with the call's flags).
type patternArg struct {
	p   *rePattern
	src textArg
}

// Unpack implements starlark.Unpacker.
func (a *patternArg) Unpack(v starlark.Value) error {
	if p, ok := v.(*rePattern); ok {
		a.p = p
		return nil
	}
	if err := a.src.Unpack(v); err != nil {
		return bind.Want(v, "str, bytes or re.Pattern")
	}
	return nil
}

// flagsArg unpacks re's flags.
type flagsArg struct{ n int }

// Unpack implements starlark.Unpacker.
func (a *flagsArg) Unpack(v starlark.Value) error {
	n, err := starlark.AsInt32(v)
	if err != nil {
		return bind.Want(v, "int")
	}
	if n&^(reFlagI|reFlagL|reFlagM|reFlagS|reFlagU|reFlagX|reFlagA) != 0 {
		return bind.Invalid(fmt.Sprintf("unknown flags %#x", n))
	}
	if n&reFlagL != 0 {
		return bind.Invalid("re.LOCALE is not supported")
	}
	a.n = n
	return nil
}

// replArg unpacks sub's repl: a template (str or bytes) or a function of
// the match.
type replArg struct {
	fn   starlark.Callable
	tmpl textArg
}

// Unpack implements starlark.Unpacker.
func (a *replArg) Unpack(v starlark.Value) error {
	if fn, ok := v.(starlark.Callable); ok {
		a.fn = fn
		return nil
	}
	if err := a.tmpl.Unpack(v); err != nil {
		return bind.Want(v, "str, bytes or a function")
	}
	return nil
}

// patternOf returns the compiled pattern: a Pattern as it is, or the
// source compiled with flags (through the cache).
func (m *reModule) patternOf(fnname string, a patternArg, flags flagsArg) (*rePattern, error) {
	if a.p != nil {
		if flags.n != 0 {
			return nil, valueErrorf("%s: cannot process flags argument with a compiled pattern", fnname)
		}
		return a.p, nil
	}
	key := reKey{a.src.s, a.src.isBytes, flags.n}
	m.mu.Lock()
	p, ok := m.cache[key]
	m.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := compilePattern(fnname, a.src.s, a.src.isBytes, flags.n)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if len(m.cache) >= reCacheSize {
		clear(m.cache)
	}
	m.cache[key] = p
	m.mu.Unlock()
	return p, nil
}

// compile is re.compile(pattern, flags=0).
func (m *reModule) compile(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern patternArg
	var flags flagsArg
	if err := unpack(b.Name(), args, kwargs, "pattern", &pattern, "flags?", &flags); err != nil {
		return nil, err
	}
	return m.patternOf(b.Name(), pattern, flags)
}

// function is re.search/match/fullmatch/findall/finditer(pattern, string, flags=0).
func (m *reModule) function(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern patternArg
	var subject textArg
	var flags flagsArg
	if err := unpack(b.Name(), args, kwargs, "pattern", &pattern, "string", &subject, "flags?", &flags); err != nil {
		return nil, err
	}
	p, err := m.patternOf(b.Name(), pattern, flags)
	if err != nil {
		return nil, err
	}
	return p.call(b.Name(), shortName(b), subject)
}

// split is re.split(pattern, string, maxsplit=0, flags=0).
func (m *reModule) split(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern patternArg
	var subject textArg
	var flags flagsArg
	maxsplit := 0
	if err := unpack(b.Name(), args, kwargs, "pattern", &pattern, "string", &subject, "maxsplit?", &maxsplit, "flags?", &flags); err != nil {
		return nil, err
	}
	p, err := m.patternOf(b.Name(), pattern, flags)
	if err != nil {
		return nil, err
	}
	return p.split(b.Name(), subject, maxsplit)
}

// sub is re.sub/subn(pattern, repl, string, count=0, flags=0).
func (m *reModule) sub(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern patternArg
	var repl replArg
	var subject textArg
	var flags flagsArg
	count := 0
	if err := unpack(b.Name(), args, kwargs, "pattern", &pattern, "repl", &repl, "string", &subject, "count?", &count, "flags?", &flags); err != nil {
		return nil, err
	}
	p, err := m.patternOf(b.Name(), pattern, flags)
	if err != nil {
		return nil, err
	}
	return p.sub(thread, b.Name(), repl, subject, count, shortName(b) == "subn")
}

// reEscape is re.escape(pattern): every character but ASCII letters,
// digits and '_' escaped, as Python does.
func reEscape(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var pattern textArg
	if err := unpack(b.Name(), args, kwargs, "pattern", &pattern); err != nil {
		return nil, err
	}
	var out strings.Builder
	for i := 0; i < len(pattern.s); i++ {
		c := pattern.s[i]
		if c < 0x80 && !isWordByte(c) && strings.IndexByte("\t\n\v\f\r !\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~", c) >= 0 {
			out.WriteByte('\\')
		}
		out.WriteByte(c)
	}
	return pattern.value(out.String()), nil
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// patternError is Python's re.PatternError for a pattern Go cannot compile.
func patternError(fnname string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "invalid or unsupported Perl syntax") {
		msg += " (RE2 syntax: no backreferences, lookahead or lookbehind)"
	}
	return loop.Errorf(kindPatternError, "%s: %s", fnname, msg)
}

// translate rewrites a Python pattern for Go: the flags become inline
// flags, \Z becomes \z, and VERBOSE's whitespace and comments go.
func translate(pattern string, flags int) string {
	var out strings.Builder
	var inline string
	if flags&reFlagI != 0 {
		inline += "i"
	}
	if flags&reFlagM != 0 {
		inline += "m"
	}
	if flags&reFlagS != 0 {
		inline += "s"
	}
	if inline != "" {
		out.WriteString("(?" + inline + ")")
	}
	verbose := flags&reFlagX != 0
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
			switch d := pattern[i]; {
			case d == 'Z':
				out.WriteString(`\z`)
			case verbose && (d == ' ' || d == '#'):
				fmt.Fprintf(&out, `\x%02x`, d)
			default:
				out.WriteByte('\\')
				out.WriteByte(d)
			}
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			out.WriteByte(c)
			// A ']' first in the class (or after '^') is a member.
			if i+1 < len(pattern) && pattern[i+1] == '^' {
				i++
				out.WriteByte('^')
			}
			if i+1 < len(pattern) && pattern[i+1] == ']' {
				i++
				out.WriteString(`\]`)
			}
			continue
		case verbose && strings.IndexByte(" \t\n\r\v\f", c) >= 0:
			continue
		case verbose && c == '#':
			for i < len(pattern) && pattern[i] != '\n' {
				i++
			}
			continue
		}
		out.WriteByte(c)
	}
	return out.String()
}

// latin1 reads the bytes s as latin-1 text (each byte its own character),
// the form in which Go's matcher sees bytes patterns and subjects. ASCII is
// returned as it is.
func latin1(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var out strings.Builder
	out.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		out.WriteRune(rune(s[i]))
	}
	return out.String()
}

// byteOffsets maps offsets in latin1(s) back to offsets in s; nil when
// they are the same.
func byteOffsets(s, conv string) []int {
	if len(s) == len(conv) {
		return nil
	}
	m := make([]int, len(conv)+1)
	j := 0
	for i := 0; i < len(s); i++ {
		m[j] = i
		if s[i] >= 0x80 {
			m[j+1] = i
			j += 2
		} else {
			j++
		}
	}
	m[j] = len(s)
	return m
}

// checkUTF8Pattern keeps a str pattern Go can read.
func checkUTF8Pattern(fnname, s string) error {
	if !utf8.ValidString(s) {
		return loop.Errorf(kindPatternError, "%s: pattern is not valid UTF-8", fnname)
	}
	return nil
}
