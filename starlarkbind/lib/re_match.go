package lib

import (
	"fmt"
	"strings"

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
	g, err := m.groupArg("re.Match", k)
	if err != nil {
		return nil, false, err
	}
	return m.group(g, starlark.None), true, nil
}

var matchMethods = map[string]bool{"end": true, "expand": true, "group": true, "groupdict": true, "groups": true, "span": true, "start": true}

// AttrNames lists the attributes.
func (m *reMatch) AttrNames() []string {
	return []string{"end", "endpos", "expand", "group", "groupdict", "groups", "lastgroup", "lastindex", "pos", "re", "span", "start", "string"}
}

// Attr returns an attribute or a bound method.
func (m *reMatch) Attr(name string) (starlark.Value, error) {
	switch name {
	case "string":
		return m.text(m.s), nil
	case "re":
		return m.p, nil
	case "pos":
		return starlark.MakeInt(0), nil
	case "endpos":
		return starlark.MakeInt(len(m.s)), nil
	case "lastindex", "lastgroup":
		return m.last(name == "lastgroup"), nil
	}
	if !matchMethods[name] {
		return nil, nil
	}
	return starlark.NewBuiltin("Match."+name, m.method).BindReceiver(m), nil
}

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

// groupArg resolves a group given as a number or a name.
func (m *reMatch) groupArg(fnname string, v starlark.Value) (int, error) {
	switch v := v.(type) {
	case starlark.Int:
		g, ok := v.Int64()
		if !ok || g < 0 || int(g) > m.p.re.NumSubexp() {
			return 0, loopIndexError("%s: no such group", fnname)
		}
		return int(g), nil
	case starlark.String:
		if g := m.p.re.SubexpIndex(string(v)); g >= 0 {
			return g, nil
		}
		return 0, loopIndexError("%s: no such group", fnname)
	}
	return 0, typeErrorf("%s: group: got %s, want int or str", fnname, v.Type())
}

// method is a bound Match method.
func (m *reMatch) method(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	switch name := shortName(b); name {
	case "group":
		if len(kwargs) > 0 {
			return nil, typeErrorf("%s: unexpected keyword arguments", b.Name())
		}
		if len(args) == 0 {
			return m.group(0, starlark.None), nil
		}
		out := make(starlark.Tuple, len(args))
		for i, a := range args {
			g, err := m.groupArg(b.Name(), a)
			if err != nil {
				return nil, err
			}
			out[i] = m.group(g, starlark.None)
		}
		if len(out) == 1 {
			return out[0], nil
		}
		return out, nil
	case "groups", "groupdict":
		var def starlark.Value = starlark.None
		if err := unpack(b.Name(), args, kwargs, "default?", &def); err != nil {
			return nil, err
		}
		if name == "groups" {
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
	case "expand":
		var t textArg
		if err := unpack(b.Name(), args, kwargs, "template", &t); err != nil {
			return nil, err
		}
		pieces, err := parseRepl(b.Name(), t.s, m.p)
		if err != nil {
			return nil, err
		}
		var out strings.Builder
		m.expandTo(&out, pieces)
		return m.text(out.String()), nil
	}
	var gv starlark.Value = starlark.MakeInt(0)
	if err := unpack(b.Name(), args, kwargs, "group?", &gv); err != nil {
		return nil, err
	}
	g, err := m.groupArg(b.Name(), gv)
	if err != nil {
		return nil, err
	}
	start, end := starlark.MakeInt(m.idx[2*g]), starlark.MakeInt(m.idx[2*g+1])
	switch shortName(b) {
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
