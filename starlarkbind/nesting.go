package starlarkbind

import (
	"fmt"

	"go.starlark.net/lib/json"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// MaxNesting is how deeply lists, tuples, dicts, sets and structs may nest in
// a value that json.decode makes or that json.encode, str, repr and print
// walk (encoding/json's limit). go.starlark.net's decoder and printers
// recurse once per level on the goroutine's stack; past about a million
// levels the Go runtime stops the whole process with "fatal error: stack
// overflow", which no recover can catch. The checks below refuse such a
// value first, with an error the script sees, so that a peer sending
// "[[[[..." or a script building a deep value fails one callback, never the
// process.
const MaxNesting = 10_000

// errTooDeep is the error of a value nested deeper than MaxNesting (the
// Starlark error that carries it names the builtin).
func errTooDeep() error {
	return fmt.Errorf("value nested more than %d levels deep", MaxNesting)
}

// jsonDepthExceeds reports whether the JSON text s opens more than limit
// arrays or objects inside one another, counting only brackets outside
// strings: this bounds the recursion of any recursive-descent decoder on s,
// valid JSON or not. It takes one pass and allocates nothing.
func jsonDepthExceeds(s string, limit int) bool {
	depth, inString := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inString:
			if c == '\\' {
				i++ // whatever is escaped cannot end the string
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > limit {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

// valueDepthExceeds reports whether v nests containers (lists, tuples,
// dicts, sets, structs) more than limit levels deep. It walks v without
// recursion. A container that contains itself (a list appended to itself)
// is not followed again below itself, as str() prints it as "[...]".
func valueDepthExceeds(v starlark.Value, limit int) bool {
	kids, self, ok := containerKids(v)
	if !ok {
		return false // a scalar: the common case
	}
	if limit < 1 {
		return true
	}
	type frame struct {
		kids []starlark.Value
		self starlark.Value // the container's identity, nil for a tuple
	}
	onPath := map[starlark.Value]bool{}
	stack := []frame{{kids, self}}
	if self != nil {
		onPath[self] = true
	}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if len(top.kids) == 0 {
			if top.self != nil {
				delete(onPath, top.self)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		kid := top.kids[0]
		top.kids = top.kids[1:]
		kids, self, ok := containerKids(kid)
		if !ok || (self != nil && onPath[self]) {
			continue
		}
		if len(stack) >= limit {
			return true
		}
		if self != nil {
			onPath[self] = true
		}
		stack = append(stack, frame{kids, self})
	}
	return false
}

// containerKids reports whether v is a container that str() and
// json.encode descend into, and returns the values it holds and, when v is
// a mutable container (one that could contain itself), v as a map key.
func containerKids(v starlark.Value) (kids []starlark.Value, self starlark.Value, ok bool) {
	switch v := v.(type) {
	case *starlark.List:
		kids = make([]starlark.Value, v.Len())
		for i := range kids {
			kids[i] = v.Index(i)
		}
		return kids, v, true
	case starlark.Tuple:
		return v, nil, true
	case *starlark.Dict:
		items := v.Items()
		kids = make([]starlark.Value, 0, 2*len(items))
		for _, kv := range items {
			kids = append(kids, kv[0], kv[1])
		}
		return kids, v, true
	case *starlark.Set:
		return iterate(v), v, true
	case *starlarkstruct.Struct:
		for _, name := range v.AttrNames() {
			if f, err := v.Attr(name); err == nil {
				kids = append(kids, f)
			}
		}
		return kids, v, true
	}
	return nil, nil, false
}

// iterate returns the elements of an iterable.
func iterate(it starlark.Iterable) []starlark.Value {
	var kids []starlark.Value
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		kids = append(kids, x)
	}
	return kids
}

// guardArgs wraps the builtin b so that it fails with errTooDeep when any
// argument nests deeper than MaxNesting, before b walks it.
func guardArgs(b *starlark.Builtin) *starlark.Builtin {
	return starlark.NewBuiltin(b.Name(), func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		for _, a := range args {
			if valueDepthExceeds(a, MaxNesting) {
				return nil, errTooDeep()
			}
		}
		for _, kv := range kwargs {
			if valueDepthExceeds(kv[1], MaxNesting) {
				return nil, errTooDeep()
			}
		}
		return starlark.Call(thread, b, args, kwargs)
	})
}

// guardedUniverse returns str, repr and print as go.starlark.net's
// universe has them, each refusing an argument nested deeper than
// MaxNesting. They are predeclared, so they take the universe's place.
func guardedUniverse() starlark.StringDict {
	d := starlark.StringDict{}
	for _, name := range []string{"str", "repr", "print"} {
		d[name] = guardArgs(starlark.Universe[name].(*starlark.Builtin))
	}
	return d
}

// guardedJSONModule returns go.starlark.net's json module with decode
// refusing a document that nests deeper than MaxNesting (the check is one
// pass over the text, before decoding), and encode and encode_indent
// refusing such a value. (indent is encoding/json's, which has the same
// limit of its own.)
func guardedJSONModule() *starlarkstruct.Module {
	members := starlark.StringDict{}
	for name, v := range json.Module.Members {
		members[name] = v
	}
	decode := json.Module.Members["decode"].(*starlark.Builtin)
	members["decode"] = starlark.NewBuiltin(decode.Name(), func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if len(args) > 0 {
			if s, ok := args[0].(starlark.String); ok && jsonDepthExceeds(string(s), MaxNesting) {
				return nil, fmt.Errorf("document nested more than %d levels deep", MaxNesting)
			}
		}
		return starlark.Call(thread, decode, args, kwargs)
	})
	for _, name := range []string{"encode", "encode_indent"} {
		members[name] = refuseBytes(guardArgs(json.Module.Members[name].(*starlark.Builtin)))
	}
	return &starlarkstruct.Module{Name: "json", Members: members}
}

// refuseBytes wraps a JSON encoder so that a value holding bytes fails with
// "cannot encode bytes as JSON" (go.starlark.net's encoder would encode
// bytes as an object of its methods and fail on the first one).
func refuseBytes(b *starlark.Builtin) *starlark.Builtin {
	return starlark.NewBuiltin(b.Name(), func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		v, err := starlark.Call(thread, b, args, kwargs)
		if err != nil && len(args) > 0 && holdsBytes(args[0], map[starlark.Value]bool{}) {
			return nil, fmt.Errorf("%s: cannot encode bytes as JSON", b.Name())
		}
		return v, err
	})
}

// holdsBytes reports whether v is bytes or a container holding bytes
// (seen guards against a container that holds itself). It is called only
// on values already known to nest less than MaxNesting deep.
func holdsBytes(v starlark.Value, seen map[starlark.Value]bool) bool {
	if _, ok := v.(starlark.Bytes); ok {
		return true
	}
	kids, self, ok := containerKids(v)
	if !ok {
		return false
	}
	if self != nil {
		if seen[self] {
			return false
		}
		seen[self] = true
	}
	for _, k := range kids {
		if holdsBytes(k, seen) {
			return true
		}
	}
	return false
}
