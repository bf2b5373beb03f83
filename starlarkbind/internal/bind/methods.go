// Package bind is what every Starlark value of starnet is built from: one
// method table per type (Methods) and one set of argument unpackers
// (starlark.Unpacker types) with one way to report a bad argument
// (UnpackArgs, UnpackArg, Want, Invalid). Package starlarkbind and its
// library modules (starlarkbind/binary) use it alike.
//
// A value's methods are a table, made once per type after go.starlark.net's
// builtinAttr/builtinAttrNames: its names are the table's keys, AttrNames
// is derived from it, and a method is bound to its receiver at most once
// per value when the value keeps a Bound cache.
package bind

import (
	"fmt"
	"slices"

	"go.starlark.net/starlark"
)

// Method is one attribute of values of type V, exactly one of:
//
//   - Fn, a method: it gets the receiver, the name for messages
//     ("future.result") and the call's arguments;
//   - Fn0, a method without parameters (the table checks there are none);
//   - Get, a plain attribute (server.sockets, error.kind), computed on
//     each access.
//
// Has, if set, says whether a value has the attribute at all: one without
// it fails with the AttributeError of a missing attribute, and AttrNames
// leaves it out (a datagram transport has no write, a plain handle no
// when).
type Method[V starlark.Value] struct {
	Fn  func(recv V, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)
	Fn0 func(recv V) (starlark.Value, error)
	Get func(recv V) (starlark.Value, error)
	Has func(recv V) bool
}

// Methods is the table of attributes of one type, made once (a package
// variable) and never modified.
type Methods[V starlark.Value] struct {
	entries     []entry[V] // sorted by name
	byName      map[string]int
	names       []string // sorted
	conditional bool     // some entry has Has
}

type entry[V starlark.Value] struct {
	name string
	m    Method[V]
	b    *starlark.Builtin // the method, unbound; nil for Get
}

// Bound is a value's cache of its bound methods, by table index: a value
// that keeps one (a field, nil until first use) gets the same method value
// on every access, and allocates it once.
type Bound []*starlark.Builtin

// NewMethods makes the table of typeName ("future", "transport"); error
// messages name a method typeName.name. It panics if an entry does not set
// exactly one of Fn, Fn0 and Get (a mistake in a package's table, found
// by any test that loads the package).
func NewMethods[V starlark.Value](typeName string, table map[string]Method[V]) *Methods[V] {
	t := &Methods[V]{byName: make(map[string]int, len(table))}
	for name := range table {
		t.names = append(t.names, name)
	}
	slices.Sort(t.names)
	t.entries = make([]entry[V], len(t.names))
	for i, name := range t.names {
		m := table[name]
		kinds := 0
		for _, set := range []bool{m.Fn != nil, m.Fn0 != nil, m.Get != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			panic(fmt.Sprintf("bind.NewMethods: %s.%s must set exactly one of Fn, Fn0 and Get", typeName, name))
		}
		t.entries[i] = entry[V]{name: name, m: m, b: builtin(typeName+"."+name, name, m)}
		t.byName[name] = i
		t.conditional = t.conditional || m.Has != nil
	}
	return t
}

// builtin makes the unbound builtin of a method, which finds its receiver
// in the bound copy (Builtin.BindReceiver).
func builtin[V starlark.Value](fnname, name string, m Method[V]) *starlark.Builtin {
	switch {
	case m.Fn != nil:
		fn := m.Fn
		return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return fn(b.Receiver().(V), fnname, args, kwargs)
		})
	case m.Fn0 != nil:
		fn := m.Fn0
		return starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(args) > 0 || len(kwargs) > 0 {
				return nil, UnpackArgs(fnname, args, kwargs)
			}
			return fn(b.Receiver().(V))
		})
	}
	return nil
}

// Attr returns recv's attribute name: a plain attribute's value, or the
// method bound to recv — from cache when recv keeps one (cache may be
// nil). A name recv does not have is the AttributeError of NoAttr.
func (t *Methods[V]) Attr(recv V, cache *Bound, name string) (starlark.Value, error) {
	i, ok := t.byName[name]
	if !ok {
		return nil, NoAttr(recv, name)
	}
	e := &t.entries[i]
	if e.m.Has != nil && !e.m.Has(recv) {
		return nil, NoAttr(recv, name)
	}
	if e.m.Get != nil {
		return e.m.Get(recv)
	}
	if cache == nil {
		return e.b.BindReceiver(recv), nil
	}
	if *cache == nil {
		*cache = make(Bound, len(t.entries))
	}
	if b := (*cache)[i]; b != nil {
		return b, nil
	}
	b := e.b.BindReceiver(recv)
	(*cache)[i] = b
	return b, nil
}

// AttrNames lists recv's attributes, sorted (a new slice: the caller may
// keep or sort it).
func (t *Methods[V]) AttrNames(recv V) []string {
	if !t.conditional {
		return slices.Clone(t.names)
	}
	names := make([]string, 0, len(t.names))
	for _, e := range t.entries {
		if e.m.Has == nil || e.m.Has(recv) {
			names = append(names, e.name)
		}
	}
	return names
}

// IsMethod reports whether name is a method in the table (not a plain
// attribute), whichever values have it.
func (t *Methods[V]) IsMethod(name string) bool {
	i, ok := t.byName[name]
	return ok && t.entries[i].m.Get == nil
}

// NoAttr is the AttributeError of a missing attribute:
// `AttributeError: transport has no attribute "sendto"`. It is a
// starlark.NoSuchAttrError, so getattr(x, name, default) and hasattr see
// it as a missing attribute.
func NoAttr(v starlark.Value, name string) error {
	return starlark.NoSuchAttrError(fmt.Sprintf("AttributeError: %s has no attribute %q", v.Type(), name))
}
