package lib

import (
	"strconv"
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// The string module: Python's string constants and string.format, the
// str.format of Python (string.Formatter().format): replacement fields
// take format specs ("{:<8}", "{price:10.2f}", "{0[key]!r:>12}"), which
// Starlark's own str.format does not.

// Python's string constants.
const (
	asciiLowercase = "abcdefghijklmnopqrstuvwxyz"
	asciiUppercase = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits         = "0123456789"
	punctuation    = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	whitespace     = " \t\n\r\x0b\x0c"
)

func newStringModule() *starlarkstruct.Module {
	return &starlarkstruct.Module{
		Name: "string",
		Members: starlark.StringDict{
			"ascii_lowercase": starlark.String(asciiLowercase),
			"ascii_uppercase": starlark.String(asciiUppercase),
			"ascii_letters":   starlark.String(asciiLowercase + asciiUppercase),
			"digits":          starlark.String(digits),
			"hexdigits":       starlark.String(digits + "abcdefABCDEF"),
			"octdigits":       starlark.String("01234567"),
			"punctuation":     starlark.String(punctuation),
			"whitespace":      starlark.String(whitespace),
			"printable":       starlark.String(digits + asciiLowercase + asciiUppercase + punctuation + whitespace),
			"format":          starlark.NewBuiltin("string.format", stringFormat),
		},
	}
}

// stringFormat is string.format(template, *args, **kwargs).
func stringFormat(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) == 0 {
		return nil, typeErrorf("%s: missing argument for template", b.Name())
	}
	var tmpl string
	if err := bind.UnpackArg(b.Name(), "template", args[0], &tmpl); err != nil {
		return nil, err
	}
	f := &formatter{args: args[1:], kwargs: map[string]starlark.Value{}}
	for _, kv := range kwargs {
		f.kwargs[string(kv[0].(starlark.String))] = kv[1]
	}
	s, err := f.format(tmpl, 2)
	if err != nil {
		return nil, prefixError(b.Name(), err)
	}
	return starlark.String(s), nil
}

// formatter expands one template.
type formatter struct {
	args   starlark.Tuple
	kwargs map[string]starlark.Value
	next   int  // the next automatic field number
	manual bool // a field was numbered by hand
	auto   bool // a field was numbered automatically
}

// format expands tmpl; depth bounds the nesting of fields in specs.
func (f *formatter) format(tmpl string, depth int) (string, error) {
	if depth <= 0 {
		return "", valueErrorf("Max string recursion exceeded")
	}
	var out strings.Builder
	for tmpl != "" {
		i := strings.IndexAny(tmpl, "{}")
		if i < 0 {
			out.WriteString(tmpl)
			break
		}
		out.WriteString(tmpl[:i])
		c := tmpl[i]
		tmpl = tmpl[i+1:]
		if tmpl != "" && tmpl[0] == c {
			out.WriteByte(c)
			tmpl = tmpl[1:]
			continue
		}
		if c == '}' {
			return "", valueErrorf("Single '}' encountered in format string")
		}
		end := fieldEnd(tmpl)
		if end < 0 {
			return "", valueErrorf("expected '}' before end of string")
		}
		s, err := f.field(tmpl[:end], depth)
		if err != nil {
			return "", err
		}
		if err := checkSize("string.format", out.Len()+len(s)); err != nil {
			return "", err
		}
		out.WriteString(s)
		tmpl = tmpl[end+1:]
	}
	return out.String(), nil
}

// fieldEnd returns the index of the '}' that closes a field whose text
// starts s (nested {} in the spec balanced), or -1.
func fieldEnd(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// field expands one "name!conv:spec".
func (f *formatter) field(text string, depth int) (string, error) {
	name, conv, spec, err := splitField(text)
	if err != nil {
		return "", err
	}
	v, err := f.lookup(name)
	if err != nil {
		return "", err
	}
	switch conv {
	case 0:
	case 's':
		v = starlark.String(strOf(v))
	case 'r', 'a':
		v = starlark.String(v.String())
	default:
		return "", valueErrorf("Unknown conversion specifier %c", conv)
	}
	if strings.ContainsAny(spec, "{}") {
		if spec, err = f.format(spec, depth-1); err != nil {
			return "", err
		}
	}
	return formatValue(v, spec)
}

// splitField splits "name!conv:spec": the name ends at the first '!' or
// ':' outside [...], as in Python.
func splitField(text string) (name string, conv byte, spec string, err error) {
	inBracket := false
	i := 0
	for ; i < len(text); i++ {
		c := text[i]
		if c == '[' {
			inBracket = true
		} else if c == ']' {
			inBracket = false
		} else if !inBracket && (c == '!' || c == ':') {
			break
		}
	}
	name, rest := text[:i], text[i:]
	if strings.HasPrefix(rest, "!") {
		if len(rest) < 2 || (len(rest) > 2 && rest[2] != ':') {
			return "", 0, "", valueErrorf("expected ':' after conversion specifier")
		}
		conv, rest = rest[1], rest[2:]
	}
	return name, conv, strings.TrimPrefix(rest, ":"), nil
}

// strOf is Python's str(v).
func strOf(v starlark.Value) string {
	if s, ok := v.(starlark.String); ok {
		return string(s)
	}
	return v.String()
}

// lookup finds the value a field name stands for: an argument by number
// (or the next one) or by name, then .attr and [key] steps.
func (f *formatter) lookup(name string) (starlark.Value, error) {
	end := strings.IndexAny(name, ".[")
	if end < 0 {
		end = len(name)
	}
	first, rest := name[:end], name[end:]
	v, err := f.argument(first)
	if err != nil {
		return nil, err
	}
	for rest != "" {
		if rest[0] == '.' {
			j := strings.IndexAny(rest[1:], ".[") + 1
			if j == 0 {
				j = len(rest)
			}
			attr := rest[1:j]
			rest = rest[j:]
			if v, err = getAttr(v, attr); err != nil {
				return nil, err
			}
			continue
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, valueErrorf("Missing ']' in format string")
		}
		key := rest[1:j]
		rest = rest[j+1:]
		if rest != "" && rest[0] != '.' && rest[0] != '[' {
			return nil, valueErrorf("Only '.' or '[' may follow ']' in format field specifier")
		}
		if v, err = getItem(v, key); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// argument is the positional (by number, or the next) or keyword argument.
func (f *formatter) argument(first string) (starlark.Value, error) {
	if first == "" {
		if f.manual {
			return nil, valueErrorf("cannot switch from manual field specification to automatic field numbering")
		}
		f.auto = true
		first = strconv.Itoa(f.next)
		f.next++
	} else if first[0] >= '0' && first[0] <= '9' {
		if f.auto {
			return nil, valueErrorf("cannot switch from automatic field numbering to manual field specification")
		}
		f.manual = true
	}
	if n, err := strconv.Atoi(first); err == nil {
		if n >= len(f.args) {
			return nil, loopIndexError("Replacement index %d out of range for positional args tuple", n)
		}
		return f.args[n], nil
	}
	v, ok := f.kwargs[first]
	if !ok {
		return nil, keyError(first)
	}
	return v, nil
}

func getAttr(v starlark.Value, attr string) (starlark.Value, error) {
	if ha, ok := v.(starlark.HasAttrs); ok {
		if x, err := ha.Attr(attr); err == nil && x != nil {
			return x, nil
		}
	}
	return nil, loopErrorf("AttributeError", "%s has no attribute %q", v.Type(), attr)
}

func getItem(v starlark.Value, key string) (starlark.Value, error) {
	var k starlark.Value = starlark.String(key)
	if n, err := strconv.Atoi(key); err == nil {
		k = starlark.MakeInt(n)
		if ix, ok := v.(starlark.Indexable); ok {
			if n < 0 || n >= ix.Len() {
				return nil, loopIndexError("index %d out of range", n)
			}
			return ix.Index(n), nil
		}
	}
	if m, ok := v.(starlark.Mapping); ok {
		x, found, err := m.Get(k)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, keyError(key)
		}
		return x, nil
	}
	return nil, typeErrorf("%s is not subscriptable", v.Type())
}
