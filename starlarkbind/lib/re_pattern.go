package lib

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// rePattern is a compiled pattern (Python's re.Pattern).
type rePattern struct {
	source  string // the pattern as the script gave it
	isBytes bool
	flags   int
	re      *regexp.Regexp // search
	anchor  *regexp.Regexp // match: \A(?:...)
	full    *regexp.Regexp // fullmatch: \A(?:...)\z
}

var (
	_ starlark.HasAttrs = (*rePattern)(nil)
	_ starlark.Value    = (*rePattern)(nil)
)

// compilePattern compiles a Python pattern; flagsArg has checked flags.
func compilePattern(fnname, src string, isBytes bool, flags int) (*rePattern, error) {
	if isBytes && flags&reFlagU != 0 {
		return nil, valueErrorf("%s: cannot use UNICODE flag with a bytes pattern", fnname)
	}
	goSrc := src
	if isBytes {
		goSrc = latin1(src)
	} else if err := checkUTF8Pattern(fnname, src); err != nil {
		return nil, err
	}
	goSrc = translate(goSrc, flags)
	p := &rePattern{source: src, isBytes: isBytes, flags: flags}
	if !isBytes {
		p.flags |= reFlagU
	}
	var err error
	if p.re, err = regexp.Compile(goSrc); err != nil {
		return nil, patternError(fnname, err)
	}
	if p.anchor, err = regexp.Compile(`\A(?:` + goSrc + `)`); err != nil {
		return nil, patternError(fnname, err)
	}
	if p.full, err = regexp.Compile(`\A(?:` + goSrc + `)\z`); err != nil {
		return nil, patternError(fnname, err)
	}
	return p, nil
}

// String reads as Python's repr: re.compile('a+', re.IGNORECASE).
func (p *rePattern) String() string {
	var src starlark.Value = starlark.String(p.source)
	if p.isBytes {
		src = starlark.Bytes(p.source)
	}
	var names []string
	for _, f := range []struct {
		v    int
		name string
	}{{reFlagI, "IGNORECASE"}, {reFlagM, "MULTILINE"}, {reFlagS, "DOTALL"}, {reFlagX, "VERBOSE"}, {reFlagA, "ASCII"}} {
		if p.flags&f.v != 0 {
			names = append(names, "re."+f.name)
		}
	}
	if len(names) == 0 {
		return "re.compile(" + src.String() + ")"
	}
	return "re.compile(" + src.String() + ", " + strings.Join(names, "|") + ")"
}

// Type is "re.Pattern".
func (p *rePattern) Type() string { return "re.Pattern" }

// Freeze does nothing: a pattern is immutable.
func (p *rePattern) Freeze() {}

// Truth is true.
func (p *rePattern) Truth() starlark.Bool { return starlark.True }

// Hash hashes the source and flags.
func (p *rePattern) Hash() (uint32, error) {
	return starlark.String(fmt.Sprintf("%t%d%s", p.isBytes, p.flags, p.source)).Hash()
}

// patternMethods is Pattern's table. sub and subn may call back into
// Starlark (a function repl), which needs the calling thread, and a
// bind.Method gets none: their entries are attributes that make a builtin
// bound to the pattern on each access.
var patternMethods = bind.NewMethods("Pattern", map[string]bind.Method[*rePattern]{
	"pattern": {Get: func(p *rePattern) (starlark.Value, error) {
		if p.isBytes {
			return starlark.Bytes(p.source), nil
		}
		return starlark.String(p.source), nil
	}},
	"flags":      {Get: func(p *rePattern) (starlark.Value, error) { return starlark.MakeInt(p.flags), nil }},
	"groups":     {Get: func(p *rePattern) (starlark.Value, error) { return starlark.MakeInt(p.re.NumSubexp()), nil }},
	"groupindex": {Get: (*rePattern).groupindex},
	"search":     {Fn: (*rePattern).matchMethod},
	"match":      {Fn: (*rePattern).matchMethod},
	"fullmatch":  {Fn: (*rePattern).matchMethod},
	"findall":    {Fn: (*rePattern).matchMethod},
	"finditer":   {Fn: (*rePattern).matchMethod},
	"split":      {Fn: (*rePattern).splitMethod},
	"sub":        {Get: func(p *rePattern) (starlark.Value, error) { return p.subBuiltin("Pattern.sub"), nil }},
	"subn":       {Get: func(p *rePattern) (starlark.Value, error) { return p.subBuiltin("Pattern.subn"), nil }},
})

// AttrNames lists the attributes.
func (p *rePattern) AttrNames() []string { return patternMethods.AttrNames(p) }

// Attr returns an attribute or a bound method.
func (p *rePattern) Attr(name string) (starlark.Value, error) {
	return patternMethods.Attr(p, nil, name)
}

func (p *rePattern) groupindex() (starlark.Value, error) {
	d := starlark.NewDict(0)
	for i, n := range p.re.SubexpNames() {
		if n != "" {
			_ = d.SetKey(starlark.String(n), starlark.MakeInt(i))
		}
	}
	return d, nil
}

// matchMethod is Pattern.search, match, fullmatch, findall and finditer.
func (p *rePattern) matchMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var subject textArg
	if err := unpack(fnname, args, kwargs, "string", &subject); err != nil {
		return nil, err
	}
	return p.call(fnname, lastPart(fnname), subject)
}

// splitMethod is Pattern.split(string, maxsplit=0).
func (p *rePattern) splitMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var subject textArg
	maxsplit := 0
	if err := unpack(fnname, args, kwargs, "string", &subject, "maxsplit?", &maxsplit); err != nil {
		return nil, err
	}
	return p.split(fnname, subject, maxsplit)
}

// subBuiltin is Pattern.sub or subn(repl, string, count=0), bound to p.
func (p *rePattern) subBuiltin(fnname string) *starlark.Builtin {
	return starlark.NewBuiltin(fnname, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var repl replArg
		var subject textArg
		count := 0
		if err := unpack(fnname, args, kwargs, "repl", &repl, "string", &subject, "count?", &count); err != nil {
			return nil, err
		}
		return p.sub(thread, fnname, repl, subject, count, lastPart(fnname) == "subn")
	})
}

// subject is a string to match, as Go's matcher sees it.
type subject struct {
	orig    string
	conv    string // latin1(orig) for bytes
	offsets []int  // conv offsets to orig offsets, nil if the same
}

// subjectOf checks the type of the subject t against the pattern's.
func (p *rePattern) subjectOf(fnname string, t textArg) (*subject, error) {
	if t.isBytes != p.isBytes {
		if p.isBytes {
			return nil, typeErrorf("%s: cannot use a bytes pattern on a string-like object", fnname)
		}
		return nil, typeErrorf("%s: cannot use a string pattern on a bytes-like object", fnname)
	}
	s := &subject{orig: t.s, conv: t.s}
	if p.isBytes {
		s.conv = latin1(t.s)
		s.offsets = byteOffsets(t.s, s.conv)
	}
	return s, nil
}

// mapped converts a Go match's offsets to the subject's.
func (s *subject) mapped(idx []int) []int {
	if s.offsets == nil || idx == nil {
		return idx
	}
	out := make([]int, len(idx))
	for i, o := range idx {
		if o < 0 {
			out[i] = o
		} else {
			out[i] = s.offsets[o]
		}
	}
	return out
}

// call runs search, match, fullmatch, findall or finditer.
func (p *rePattern) call(fnname, name string, v textArg) (starlark.Value, error) {
	s, err := p.subjectOf(fnname, v)
	if err != nil {
		return nil, err
	}
	switch name {
	case "findall", "finditer":
		all := p.re.FindAllStringSubmatchIndex(s.conv, -1)
		out := make([]starlark.Value, len(all))
		for i, idx := range all {
			m := &reMatch{p: p, s: s.orig, idx: s.mapped(idx)}
			if name == "finditer" {
				out[i] = m
			} else {
				out[i] = m.findallItem()
			}
		}
		return starlark.NewList(out), nil
	}
	re := map[string]*regexp.Regexp{"search": p.re, "match": p.anchor, "fullmatch": p.full}[name]
	idx := re.FindStringSubmatchIndex(s.conv)
	if idx == nil {
		return starlark.None, nil
	}
	return &reMatch{p: p, s: s.orig, idx: s.mapped(idx)}, nil
}

// split is Pattern.split: the pieces between matches, with the groups of
// each match between them.
func (p *rePattern) split(fnname string, v textArg, maxsplit int) (starlark.Value, error) {
	s, err := p.subjectOf(fnname, v)
	if err != nil {
		return nil, err
	}
	n := -1
	if maxsplit > 0 {
		n = maxsplit
	} else if maxsplit < 0 {
		return starlark.NewList([]starlark.Value{v.value(v.s)}), nil
	}
	var out []starlark.Value
	last := 0
	for _, idx := range p.re.FindAllStringSubmatchIndex(s.conv, n) {
		m := &reMatch{p: p, s: s.orig, idx: s.mapped(idx)}
		out = append(out, m.text(s.orig[last:m.idx[0]]))
		for g := 1; g <= p.re.NumSubexp(); g++ {
			out = append(out, m.group(g, starlark.None))
		}
		last = m.idx[1]
	}
	out = append(out, (&reMatch{p: p}).text(s.orig[last:]))
	return starlark.NewList(out), nil
}

// sub is Pattern.sub and subn: repl a template or a function of the match.
func (p *rePattern) sub(thread *starlark.Thread, fnname string, repl replArg, v textArg, count int, withCount bool) (starlark.Value, error) {
	s, err := p.subjectOf(fnname, v)
	if err != nil {
		return nil, err
	}
	var tmpl []replPiece
	fn, isFunc := repl.fn, repl.fn != nil
	if !isFunc {
		if repl.tmpl.isBytes != p.isBytes {
			return nil, typeErrorf("%s: for parameter repl: got %s, want %s or a function", fnname, repl.tmpl.value("").Type(), v.value("").Type())
		}
		if tmpl, err = parseRepl(fnname, repl.tmpl.s, p); err != nil {
			return nil, err
		}
	}
	n := -1
	if count > 0 {
		n = count
	}
	var out strings.Builder
	last, done := 0, 0
	for _, idx := range p.re.FindAllStringSubmatchIndex(s.conv, n) {
		m := &reMatch{p: p, s: s.orig, idx: s.mapped(idx)}
		out.WriteString(s.orig[last:m.idx[0]])
		if isFunc {
			r, err := starlark.Call(thread, fn, starlark.Tuple{m}, nil)
			if err != nil {
				return nil, err
			}
			t, ok := textOf(r)
			if !ok || t.isBytes != p.isBytes {
				return nil, typeErrorf("%s: repl returned %s, want %s", fnname, r.Type(), m.text("").Type())
			}
			out.WriteString(t.s)
		} else {
			m.expandTo(&out, tmpl)
		}
		if err := checkSize(fnname, out.Len()); err != nil {
			return nil, err
		}
		last = m.idx[1]
		done++
	}
	out.WriteString(s.orig[last:])
	result := (&reMatch{p: p}).text(out.String())
	if withCount {
		return starlark.Tuple{result, starlark.MakeInt(done)}, nil
	}
	return result, nil
}

func textOf(v starlark.Value) (textArg, bool) {
	var t textArg
	return t, t.Unpack(v) == nil
}

// replPiece is a literal or a group reference of a repl template.
type replPiece struct {
	lit   string
	group int // -1 for a literal
}

// parseRepl parses a Python repl template: \1, \g<1>, \g<name>, and the
// escapes \n \t \r \f \v \a \b \\ and octal \0.. ; another escaped ASCII
// letter is an error, another escaped character stays as it is.
func parseRepl(fnname, t string, p *rePattern) ([]replPiece, error) {
	var pieces []replPiece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			pieces = append(pieces, replPiece{lit: lit.String(), group: -1})
			lit.Reset()
		}
	}
	ref := func(g int) {
		flush()
		pieces = append(pieces, replPiece{group: g})
	}
	for i := 0; i < len(t); i++ {
		if t[i] != '\\' || i+1 == len(t) {
			if t[i] == '\\' {
				return nil, patErr(fnname, "bad escape (end of pattern) at position %d", i)
			}
			lit.WriteByte(t[i])
			continue
		}
		i++
		c := t[i]
		switch {
		case c == 'g':
			end := strings.IndexByte(t[i:], '>')
			if i+1 >= len(t) || t[i+1] != '<' || end < 0 {
				return nil, patErr(fnname, "missing group name at position %d", i+1)
			}
			name := t[i+2 : i+end]
			g, err := p.groupNumber(name)
			if err != nil {
				return nil, patErr(fnname, "%s at position %d", err, i+2)
			}
			ref(g)
			i += end
		case c >= '1' && c <= '9':
			j := i + 1
			if j < len(t) && t[j] >= '0' && t[j] <= '9' {
				j++
			}
			g, _ := strconv.Atoi(t[i:j])
			if g > p.re.NumSubexp() {
				return nil, patErr(fnname, "invalid group reference %d at position %d", g, i)
			}
			ref(g)
			i = j - 1
		case c == '0':
			j := i + 1
			for j < len(t) && j < i+3 && t[j] >= '0' && t[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(t[i:j], 8, 8)
			lit.WriteByte(byte(v))
			i = j - 1
		case strings.IndexByte("ntrfvab\\", c) >= 0:
			lit.WriteByte(map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', 'f': '\f', 'v': '\v', 'a': '\a', 'b': '\b', '\\': '\\'}[c])
		case c < 0x80 && isWordByte(c):
			return nil, patErr(fnname, "bad escape \\%c at position %d", c, i-1)
		default:
			lit.WriteByte('\\')
			lit.WriteByte(c)
		}
	}
	flush()
	return pieces, nil
}

func patErr(fnname, format string, args ...any) error {
	return loopErrorf(kindPatternError, "%s: %s", fnname, fmt.Sprintf(format, args...))
}

// groupNumber resolves a group name or number.
func (p *rePattern) groupNumber(name string) (int, error) {
	if g, err := strconv.Atoi(name); err == nil {
		if g < 0 || g > p.re.NumSubexp() {
			return 0, fmt.Errorf("invalid group reference %d", g)
		}
		return g, nil
	}
	if g := p.re.SubexpIndex(name); g >= 0 {
		return g, nil
	}
	return 0, fmt.Errorf("unknown group name '%s'", name)
}
