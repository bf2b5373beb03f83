package lib

import (
	"fmt"
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// reMatch is a match (Python's re.Match).
type reMatch struct {
	p   *rePattern
	s   string // the subject
	idx []int  // pairs of offsets into s, -1 for a group that did not take part
}

var (
	_ starlark.HasAttrs = (*reMatch)(nil)
	_ starlark.Mapping  = (*reMatch)(nil)
)

// text is s as the pattern's type, str or bytes.
func (m *reMatch) text(s string) starlark.Value {
	if m.p.isBytes {
		return starlark.Bytes(s)
	}
	return starlark.String(s)
}

// group returns group g, or def if it did not take part.
func (m *reMatch) group(g int, def starlark.Value) starlark.Value {
	if m.idx[2*g] < 0 {
		return def
	}
	return m.text(m.s[m.idx[2*g]:m.idx[2*g+1]])
}

// findallItem is what findall lists for the match: the whole match, the
// one group, or a tuple of the groups ("" for those that did not take part).
func (m *reMatch) findallItem() starlark.Value {
	n := m.p.re.NumSubexp()
	switch n {
	case 0:
		return m.group(0, nil)
	case 1:
		return m.group(1, m.text(""))
	}
	t := make(starlark.Tuple, n)
	for g := 1; g <= n; g++ {
		t[g-1] = m.group(g, m.text(""))
	}
	return t
}

// String reads as Python's repr: <re.Match object; span=(0, 3), match='abc'>.
func (m *reMatch) String() string {
	return fmt.Sprintf("<re.Match object; span=(%d, %d), match=%s>", m.idx[0], m.idx[1], m.group(0, nil).String())
}

// Type is "re.Match".
func (m *reMatch) Type() string { return "re.Match" }

// Freeze does nothing: a match is immutable.
func (m *reMatch) Freeze() {}

// Truth is true.
func (m *reMatch) Truth() starlark.Bool { return starlark.True }

// Hash fails: matches are not hashable in Python either.
func (m *reMatch) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: re.Match") }

// Get is m[g]: m.group(g).
func (m *reMatch) Get(k starlark.Value) (starlark.Value, bool, error) {
	ref := groupRef{m: m}
	if err := bind.UnpackArg("re.Match", "group", k, &ref); err != nil {
		return nil, false, err
	}
	return m.group(ref.g, starlark.None), true, nil
}

// matchMethods is Match's table.
var matchMethods = bind.NewMethods("Match", map[string]bind.Method[*reMatch]{
	"string":    {Get: func(m *reMatch) (starlark.Value, error) { return m.text(m.s), nil }},
	"re":        {Get: func(m *reMatch) (starlark.Value, error) { return m.p, nil }},
	"pos":       {Get: func(m *reMatch) (starlark.Value, error) { return starlark.MakeInt(0), nil }},
	"endpos":    {Get: func(m *reMatch) (starlark.Value, error) { return starlark.MakeInt(len(m.s)), nil }},
	"lastindex": {Get: func(m *reMatch) (starlark.Value, error) { return m.last(false), nil }},
	"lastgroup": {Get: func(m *reMatch) (starlark.Value, error) { return m.last(true), nil }},
	"group":     {Fn: (*reMatch).groupMethod},
	"groups":    {Fn: (*reMatch).groupsMethod},
	"groupdict": {Fn: (*reMatch).groupsMethod},
	"expand":    {Fn: (*reMatch).expandMethod},
	"start":     {Fn: (*reMatch).spanMethod},
	"end":       {Fn: (*reMatch).spanMethod},
	"span":      {Fn: (*reMatch).spanMethod},
})

// AttrNames lists the attributes.
func (m *reMatch) AttrNames() []string { return matchMethods.AttrNames(m) }

// Attr returns an attribute or a bound method.
func (m *reMatch) Attr(name string) (starlark.Value, error) { return matchMethods.Attr(m, nil, name) }

// last is lastindex (the group that closed last) or its name.
func (m *reMatch) last(name bool) starlark.Value {
	best, bestEnd := -1, -1
	for g := 1; g <= m.p.re.NumSubexp(); g++ {
		// Python's lastindex is the last group to close: the one that ends
		// last, the outer one of nested groups ending together.
		if m.idx[2*g] >= 0 && m.idx[2*g+1] > bestEnd {
			best, bestEnd = g, m.idx[2*g+1]
		}
	}
	if best < 0 {
		return starlark.None
	}
	if name {
		if n := m.p.re.SubexpNames()[best]; n != "" {
			return starlark.String(n)
		}
		return starlark.None
	}
	return starlark.MakeInt(best)
}

// groupRef unpacks a group of m given as a number or a name; a group m's
// pattern does not have is Python's IndexError.
type groupRef struct {
	m *reMatch
	g int
}

// Unpack implements starlark.Unpacker.
func (a *groupRef) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.Int:
		g, ok := v.Int64()
		if ok && g >= 0 && int(g) <= a.m.p.re.NumSubexp() {
			a.g = int(g)
			return nil
		}
	case starlark.String:
		if g := a.m.p.re.SubexpIndex(string(v)); g >= 0 {
			a.g = g
			return nil
		}
	default:
		return bind.Want(v, "int or str")
	}
	return &refusal{kind: kindIndexError, msg: "no such group"}
}

// groupMethod is Match.group(*groups).
func (m *reMatch) groupMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(kwargs) > 0 {
		return nil, typeErrorf("%s: unexpected keyword arguments", fnname)
	}
	if len(args) == 0 {
		return m.group(0, starlark.None), nil
	}
	out := make(starlark.Tuple, len(args))
	for i, a := range args {
		ref := groupRef{m: m}
		if err := bind.UnpackArg(fnname, itoa(i+1), a, &ref); err != nil {
			return nil, err
		}
		out[i] = m.group(ref.g, starlark.None)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

// groupsMethod is Match.groups(default=None) and groupdict(default=None).
func (m *reMatch) groupsMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var def starlark.Value = starlark.None
	if err := unpack(fnname, args, kwargs, "default?", &def); err != nil {
		return nil, err
	}
	if lastPart(fnname) == "groups" {
		out := make(starlark.Tuple, m.p.re.NumSubexp())
		for g := range out {
			out[g] = m.group(g+1, def)
		}
		return out, nil
	}
	d := starlark.NewDict(0)
	for g, n := range m.p.re.SubexpNames() {
		if n != "" {
			_ = d.SetKey(starlark.String(n), m.group(g, def))
		}
	}
	return d, nil
}

// expandMethod is Match.expand(template).
func (m *reMatch) expandMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var t textArg
	if err := unpack(fnname, args, kwargs, "template", &t); err != nil {
		return nil, err
	}
	pieces, err := parseRepl(fnname, t.s, m.p)
	if err != nil {
		return nil, err
	}
	var out strings.Builder
	m.expandTo(&out, pieces)
	return m.text(out.String()), nil
}

// spanMethod is Match.start, end and span(group=0).
func (m *reMatch) spanMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	ref := groupRef{m: m}
	if err := unpack(fnname, args, kwargs, "group?", &ref); err != nil {
		return nil, err
	}
	g := ref.g
	start, end := starlark.MakeInt(m.idx[2*g]), starlark.MakeInt(m.idx[2*g+1])
	switch lastPart(fnname) {
	case "start":
		return start, nil
	case "end":
		return end, nil
	}
	return starlark.Tuple{start, end}, nil
}

// expandTo writes a parsed repl template for the match.
func (m *reMatch) expandTo(out *strings.Builder, pieces []replPiece) {
	for _, p := range pieces {
		if p.group < 0 {
			out.WriteString(p.lit)
		} else if m.idx[2*p.group] >= 0 {
			out.WriteString(m.s[m.idx[2*p.group]:m.idx[2*p.group+1]])
		}
	}
}
