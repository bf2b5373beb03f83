package loop

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Source is what debug mode records about where a handle or a future comes
// from, for the reports that name them: asyncio's callback source
// ("tick(1) at server.star:4") and _source_traceback ("created at
// main.star:12"). Code that runs another language on the loop (as
// starlarkbind runs Starlark) sets it, so that reports name the script's
// function and lines rather than the Go closure that calls them. Reports of
// handles and futures without one name the Go function.
type Source struct {
	// Callback names a handle's callback as reports show it, e.g.
	// "tick(1) at server.star:4"; nil names the Go function. It is called
	// only when a report is made.
	Callback fmt.Stringer
	// Repr, for a future, is what its String returns instead of the
	// loop's own description (a script's Task names itself so); it is
	// called only when a report is made.
	Repr fmt.Stringer
	// Stack is the call stack where the handle or future was made,
	// outermost call first; its last frame is the "created at" site.
	Stack Traceback
}

// Frame is one call of a Source's stack.
type Frame struct {
	// Func is the function's name.
	Func string
	// File, Line and Col are where the call was; Col 0 means unknown.
	File      string
	Line, Col int
}

// String returns "file:line:col: in func", as a Starlark traceback line.
func (fr Frame) String() string {
	s := fr.File + ":" + strconv.Itoa(fr.Line)
	if fr.Col > 0 {
		s += ":" + strconv.Itoa(fr.Col)
	}
	return s + ": in " + fr.Func
}

// site returns "file:line", the "created at" of a repr.
func (fr Frame) site() string { return fr.File + ":" + strconv.Itoa(fr.Line) }

// Traceback is a call stack, outermost call first. Reports show it under
// the key "source_traceback", as asyncio's default exception handler does.
type Traceback []Frame

// String returns asyncio's "Object created at (most recent call last):"
// followed by one indented line per frame.
func (tb Traceback) String() string {
	var b strings.Builder
	b.WriteString("Object created at (most recent call last):")
	for _, fr := range tb {
		b.WriteString("\n  ")
		b.WriteString(fr.String())
	}
	return b.String()
}

// CreatedAt returns " created at file:line" for the innermost frame of
// s's stack, as asyncio's reprs end in debug mode, or "" when s is nil or
// has no stack.
func (s *Source) CreatedAt() string {
	if s == nil || len(s.Stack) == 0 {
		return ""
	}
	return " created at " + s.Stack[len(s.Stack)-1].site()
}

// addTraceback adds s's stack to ctx as "source_traceback", if it has one.
func (s *Source) addTraceback(ctx *ErrorContext) {
	if s == nil || len(s.Stack) == 0 {
		return
	}
	if ctx.Extra == nil {
		ctx.Extra = make(map[string]any, 2)
	}
	ctx.Extra["source_traceback"] = s.Stack
}

// SetSource records where h comes from, for debug mode's reports of it
// (its String, the slow-callback report). The loop forgets it when h runs
// or is cancelled, or when debug mode is turned off. Nil forgets it now.
func (h *Handle) SetSource(s *Source) {
	l := h.loop
	if s == nil {
		delete(l.sources, h)
		return
	}
	if h.cancelled {
		return
	}
	if l.sources == nil {
		l.sources = make(map[*Handle]*Source)
	}
	l.sources[h] = s
}

// Source returns what SetSource recorded for h, or nil.
func (h *Handle) Source() *Source { return h.loop.sources[h] }

// forgetSource drops h's source once it ran or was cancelled.
func (h *Handle) forgetSource() {
	if len(h.loop.sources) > 0 {
		delete(h.loop.sources, h)
	}
}

// SetSource records where f was made, for debug mode's reports of it (its
// String's "created at", and the "source_traceback" of "Future exception
// was never retrieved").
func (f *Future) SetSource(s *Source) { f.source = s }

// Source returns what SetSource recorded for f, or nil.
func (f *Future) Source() *Source { return f.source }

// AddDoneCallbackSource is AddDoneCallback with the Source of the handle
// that will run fn, for debug mode's reports of that handle. A nil s is
// AddDoneCallback.
func (f *Future) AddDoneCallbackSource(fn func(*Future), s *Source) {
	if fn == nil {
		return
	}
	if s == nil {
		f.addDoneCallback(fn)
		return
	}
	if f.state != futurePending {
		f.loop.callSoonFuture(fn, f).SetSource(s)
		return
	}
	token := f.addDoneCallback(fn)
	l := f.loop
	if l.doneSources == nil {
		l.doneSources = make(map[*Future]map[int]*Source)
	}
	m := l.doneSources[f]
	if m == nil {
		m = make(map[int]*Source, 1)
		l.doneSources[f] = m
	}
	m[token] = s
}

// takeDoneSources returns and forgets the sources of f's done callbacks.
func (l *Loop) takeDoneSources(f *Future) map[int]*Source {
	if len(l.doneSources) == 0 {
		return nil
	}
	m := l.doneSources[f]
	delete(l.doneSources, f)
	return m
}

// forgetDoneSource drops the source of f's done callback token.
func (l *Loop) forgetDoneSource(f *Future, token int) {
	if m := l.doneSources[f]; m != nil {
		delete(m, token)
		if len(m) == 0 {
			delete(l.doneSources, f)
		}
	}
}

// Describe returns how reports show v: its String() or Error(); a string,
// number or bool as fmt prints it; a slice or array element by element;
// and any other Go value (a struct, a pointer or a map without a String
// method) as "<Go kind T>", e.g. "<Go protocol *main.echo>" for kind
// "protocol" — never as a dump of its fields, which would mean nothing to
// the reader.
func Describe(v any, kind string) (s string) {
	if v == nil {
		return "None"
	}
	defer func() {
		if recover() != nil { // a String method of a nil pointer, ...
			s = fmt.Sprintf("<Go %s %T>", kind, v)
		}
	}()
	switch v := v.(type) {
	case fmt.Stringer:
		return v.String()
	case error:
		return v.Error()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool, reflect.String, reflect.Int, reflect.Int8, reflect.Int16,
		reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Uintptr, reflect.Float32,
		reflect.Float64, reflect.Complex64, reflect.Complex128:
		return fmt.Sprint(v)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return fmt.Sprintf("%q", rv.Bytes())
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = Describe(rv.Index(i).Interface(), kind)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("<Go %s %T>", kind, v)
}
