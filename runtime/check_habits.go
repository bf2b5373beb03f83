package runtime

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind"
	"go.starlark.net/resolve"
	"go.starlark.net/syntax"
)

// Python habits `starnet check` finds without running anything: the
// mistakes of docs/starlark-for-asyncio-users.md that the source shows
// (a constant format string, a method called on a literal, a function that
// reads a global it also assigns). Each message carries the hint
// `starnet run` would show (starlarkbind.HintForMessage).

// percentSpec finds a % conversion with a flag, a width or a precision
// ("%.2f", "%-8s", "%5d"), which Starlark's % lacks; "%%" is skipped.
var percentSpec = regexp.MustCompile(`%(?:\([^)]*\))?[-+ #0-9.*]+[a-zA-Z%]?`)

// formatSpec finds a replacement field with a format spec ("{:.2f}",
// "{0:>8}", "{name:<4}"); "{{" is not a field.
var formatSpec = regexp.MustCompile(`\{[^{}:]*:([^{}]*)\}`)

// checkHabits returns the Python habits found in f (resolved).
func checkHabits(f *syntax.File) []error {
	var errs []error
	add := func(pos syntax.Position, msg, hint string) {
		errs = append(errs, &CheckError{Pos: pos, Msg: msg, Hint: hint})
	}
	hc := starlarkbind.HintContext{}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.BinaryExpr:
			if lit, ok := stringLiteral(n.X); ok && n.Op == syntax.PERCENT {
				if spec := percentSpec.FindString(strings.ReplaceAll(lit, "%%", "")); spec != "" {
					add(n.OpPos, fmt.Sprintf("%q %% ...: %s is not a Starlark conversion", lit, spec),
						starlarkbind.HintPercent)
				}
			}
		case *syntax.DotExpr:
			if lit, ok := n.X.(*syntax.Literal); ok {
				checkLiteralMethod(lit, n, hc, add)
			}
		}
		return true
	})
	return append(errs, checkGlobalRebinding(f)...)
}

// checkLiteralMethod checks lit.name: a method bytes do not have, a str's
// encode, or a str.format template with format specs.
func checkLiteralMethod(lit *syntax.Literal, dot *syntax.DotExpr, hc starlarkbind.HintContext, add func(syntax.Position, string, string)) {
	name := dot.Name.Name
	switch lit.Token {
	case syntax.BYTES:
		msg := "bytes has no ." + name + " field or method"
		add(dot.Dot, msg, starlarkbind.HintForMessage(msg, dot.Dot, hc))
	case syntax.STRING:
		s, _ := lit.Value.(string)
		switch {
		case name == "encode":
			msg := "string has no .encode field or method"
			add(dot.Dot, msg, starlarkbind.HintForMessage(msg, dot.Dot, hc))
		case name == "format":
			if m := formatSpec.FindStringSubmatch(strings.ReplaceAll(s, "{{", "")); m != nil {
				msg := "format spec features not supported in replacement fields: " + m[1]
				add(dot.Dot, fmt.Sprintf("%q.format(...): %s", s, msg), starlarkbind.HintForMessage(msg, dot.Dot, hc))
			}
		}
	}
}

// stringLiteral returns the value of a string literal.
func stringLiteral(e syntax.Expr) (string, bool) {
	lit, ok := e.(*syntax.Literal)
	if !ok || lit.Token != syntax.STRING {
		return "", false
	}
	s, ok := lit.Value.(string)
	return s, ok
}

// checkGlobalRebinding finds a function that assigns a name the file binds
// at top level and reads it before that (or with +=): in Python that would
// be `global n`; in Starlark it is a local that has no value yet
// ("local variable n referenced before assignment" when it runs).
func checkGlobalRebinding(f *syntax.File) []error {
	mod, ok := f.Module.(*resolve.Module)
	if !ok {
		return nil
	}
	globals := map[string]bool{}
	for _, b := range mod.Globals {
		if b.First != nil {
			globals[b.First.Name] = true
		}
	}
	assigns := map[*syntax.Ident]*syntax.AssignStmt{} // by the name assigned
	syntax.Walk(f, func(n syntax.Node) bool {
		if a, ok := n.(*syntax.AssignStmt); ok {
			if id, ok := a.LHS.(*syntax.Ident); ok {
				assigns[id] = a
			}
		}
		return true
	})
	var errs []error
	reported := map[*resolve.Binding]bool{}
	for _, stmt := range f.Stmts {
		def, ok := stmt.(*syntax.DefStmt)
		if !ok {
			continue
		}
		syntax.Walk(def, func(n syntax.Node) bool {
			id, ok := n.(*syntax.Ident)
			if !ok {
				return true
			}
			b, ok := id.Binding.(*resolve.Binding)
			if !ok || (b.Scope != resolve.Local && b.Scope != resolve.Cell) || b.First == nil || !globals[id.Name] || reported[b] {
				return true
			}
			fn, first := def.Name.Name, assigns[b.First]
			var msg string
			switch {
			case id == b.First && first != nil && first.Op != syntax.EQ:
				msg = fmt.Sprintf("%s: %s %s ... makes %s a local variable of %s, which has no value yet (%s is a global)", fn, id.Name, first.Op, id.Name, fn, id.Name)
			case id != b.First && (before(id.NamePos, b.First.NamePos) || first != nil && within(id, first.RHS)):
				msg = fmt.Sprintf("%s: %s is read here, but assigned at line %d, which makes it a local variable of %s (%s is a global)", fn, id.Name, b.First.NamePos.Line, fn, id.Name)
			default:
				return true
			}
			reported[b] = true
			errs = append(errs, &CheckError{Pos: id.NamePos, Msg: msg, Hint: starlarkbind.HintGlobal})
			return true
		})
	}
	return errs
}

// before reports whether a comes before b in the file.
func before(a, b syntax.Position) bool {
	return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
}

// within reports whether id is inside e.
func within(id *syntax.Ident, e syntax.Expr) bool {
	start, end := e.Span()
	return !before(id.NamePos, start) && before(id.NamePos, end)
}
