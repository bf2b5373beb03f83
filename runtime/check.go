package runtime

import (
	"errors"
	"fmt"
	"slices"

	"github.com/starnet-dev/starnet/starlarkbind"
	"github.com/starnet-dev/starnet/starlarkbind/lib"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// predeclaredNames are the names every script sees besides Starlark's
// universe (API.md "Predeclared names"), and the universe's str, repr and print, which the
// env predeclares again with a nesting limit (starlarkbind.MaxNesting).
// Check adds the library's names (lib.Names).
var predeclaredNames = []string{
	"loop", "protocol", "struct", "exit", "error",
	"ssl", "subprocess", "signal", "os", "binary", "json", "time", "math", "wait", "catch",
	"str", "repr", "print",
}

// CheckError is one problem Check found, at a position in the file, and
// the hint for it, if there is one (starlarkbind.Hint: what to write
// instead of a Python habit).
type CheckError struct {
	Pos  syntax.Position
	Msg  string
	Hint string
}

// Error reads "file:line:col: message", and then "hint: ..." on a line of
// its own.
func (e *CheckError) Error() string {
	if e.Hint != "" {
		return e.Pos.String() + ": " + e.Msg + "\nhint: " + e.Hint
	}
	return e.Pos.String() + ": " + e.Msg
}

// Check examines a script without executing it or doing any I/O, as
// `starnet check` does: it parses and resolves src in starnet's dialect
// against the predeclared names of API.md "Predeclared names" (plus extra, for names a host
// predeclares), then checks the shape of protocols: in each
// protocol("Name", callback = f, ...) whose callbacks are top-level
// functions or lambdas, a known callback whose function cannot take the
// arguments the loop passes (self plus, e.g., data for data_received), and
// an unknown callback name that looks like a typo of a known one; and, in a
// file that resolves, the Python habits of check_habits.go. It returns nil
// when it finds nothing; each error reads "file:line:col: message", then,
// when there is one, "hint: ..." on a line of its own (a *CheckError).
// load() statements are resolved but the loaded files are not read.
func Check(filename string, src []byte, extra ...string) []error {
	hc := starlarkbind.HintContext{Line: sourceLine(map[string][]byte{filename: src})}
	f, err := starlarkbind.FileOptions().Parse(filename, src, 0)
	if err != nil {
		var serr syntax.Error
		if errors.As(err, &serr) {
			return []error{&CheckError{Pos: serr.Pos, Msg: serr.Msg, Hint: starlarkbind.HintForMessage(serr.Msg, serr.Pos, hc)}}
		}
		return []error{err}
	}
	names := map[string]bool{}
	for _, n := range slices.Concat(predeclaredNames, lib.Names, extra) {
		names[n] = true
	}
	isPredeclared := func(name string) bool { return names[name] }
	var errs []error
	if err := resolve.File(f, isPredeclared, starlark.Universe.Has); err != nil {
		var list resolve.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				errs = append(errs, &CheckError{Pos: e.Pos, Msg: e.Msg, Hint: starlarkbind.HintForMessage(e.Msg, e.Pos, hc)})
			}
		} else {
			errs = append(errs, err)
		}
	} else {
		errs = append(errs, checkHabits(f)...)
	}
	return append(errs, checkProtocols(f)...)
}

// funcShape is what the checker knows of a function's parameters.
type funcShape struct {
	name     string
	pos      syntax.Position
	minPos   int // required positional parameters
	maxPos   int // positional parameters accepted; -1 with *args
	kwOnly   []string
	hasShape bool
}

// shapeOf reads a def's or lambda's parameter list.
func shapeOf(name string, pos syntax.Position, params []syntax.Expr) funcShape {
	s := funcShape{name: name, pos: pos, hasShape: true}
	afterStar := false
	for _, p := range params {
		switch p := p.(type) {
		case *syntax.Ident:
			if afterStar {
				s.kwOnly = append(s.kwOnly, p.Name)
				continue
			}
			s.minPos++
			s.maxPos++
		case *syntax.BinaryExpr: // name=default
			if !afterStar {
				s.maxPos++
			}
		case *syntax.UnaryExpr:
			if p.Op == syntax.STAR {
				afterStar = true
				if p.X != nil {
					s.maxPos = -1
				}
			}
		}
	}
	return s
}

// topLevelFunctions maps each name bound exactly once at top level, to a
// def or a lambda, to its shape.
func topLevelFunctions(f *syntax.File) map[string]funcShape {
	shapes := map[string]funcShape{}
	bindings := map[string]int{}
	for _, stmt := range f.Stmts {
		switch stmt := stmt.(type) {
		case *syntax.DefStmt:
			bindings[stmt.Name.Name]++
			shapes[stmt.Name.Name] = shapeOf(stmt.Name.Name, stmt.Name.NamePos, stmt.Params)
		case *syntax.AssignStmt:
			id, ok := stmt.LHS.(*syntax.Ident)
			if !ok {
				continue
			}
			bindings[id.Name]++
			if lambda, ok := stmt.RHS.(*syntax.LambdaExpr); ok && stmt.Op == syntax.EQ {
				shapes[id.Name] = shapeOf(id.Name, id.NamePos, lambda.Params)
			}
		case *syntax.LoadStmt:
			for _, id := range stmt.To {
				bindings[id.Name]++
			}
		}
	}
	for name, n := range bindings {
		if n != 1 {
			delete(shapes, name)
		}
	}
	return shapes
}

// checkProtocols checks every protocol(...) call in f.
func checkProtocols(f *syntax.File) []error {
	shapes := topLevelFunctions(f)
	if redefinesProtocol(f) {
		return nil
	}
	var errs []error
	syntax.Walk(f, func(n syntax.Node) bool {
		if call, ok := n.(*syntax.CallExpr); ok {
			if fn, ok := call.Fn.(*syntax.Ident); ok && fn.Name == "protocol" {
				errs = append(errs, checkProtocolCall(call, shapes)...)
			}
		}
		return true
	})
	return errs
}

// redefinesProtocol reports whether the script binds its own "protocol".
func redefinesProtocol(f *syntax.File) bool {
	for _, stmt := range f.Stmts {
		switch stmt := stmt.(type) {
		case *syntax.DefStmt:
			if stmt.Name.Name == "protocol" {
				return true
			}
		case *syntax.AssignStmt:
			if id, ok := stmt.LHS.(*syntax.Ident); ok && id.Name == "protocol" {
				return true
			}
		}
	}
	return false
}

// checkProtocolCall checks the callbacks of one protocol("Name", ...) call.
func checkProtocolCall(call *syntax.CallExpr, shapes map[string]funcShape) []error {
	class := "protocol"
	if len(call.Args) > 0 {
		if lit, ok := call.Args[0].(*syntax.Literal); ok && lit.Token == syntax.STRING {
			class, _ = lit.Value.(string)
		}
	}
	var errs []error
	for _, arg := range call.Args {
		kw, ok := arg.(*syntax.BinaryExpr)
		if !ok || kw.Op != syntax.EQ {
			continue
		}
		key, ok := kw.X.(*syntax.Ident)
		if !ok {
			continue
		}
		params, known := starlarkbind.CallbackParams[key.Name]
		if !known {
			if guess := starlarkbind.ClosestCallback(key.Name); guess != "" {
				errs = append(errs, &CheckError{Pos: key.NamePos,
					Msg: starlarkbind.UnknownCallbackMessage(class, key.Name, guess)})
			}
			continue
		}
		var shape funcShape
		switch v := kw.Y.(type) {
		case *syntax.Ident:
			shape = shapes[v.Name]
		case *syntax.LambdaExpr:
			shape = shapeOf("lambda", v.Lambda, v.Params)
		}
		if !shape.hasShape {
			continue
		}
		if msg := arityProblem(class, key.Name, params, shape); msg != "" {
			errs = append(errs, &CheckError{Pos: key.NamePos, Msg: msg})
		}
	}
	return errs
}

// arityProblem explains why shape cannot be called as callback, or returns "".
func arityProblem(class, callback string, params []string, shape funcShape) string {
	where := shape.name
	if shape.pos.IsValid() {
		where = fmt.Sprintf("%s (%s)", shape.name, shape.pos)
	}
	if len(shape.kwOnly) > 0 {
		return starlarkbind.KeywordOnlyMessage(class, callback, params, where, shape.kwOnly[0])
	}
	args := len(params) + 1
	if args >= shape.minPos && (shape.maxPos < 0 || args <= shape.maxPos) {
		return ""
	}
	return starlarkbind.ArityMessage(class, callback, params, where, starlarkbind.DescribeArity(shape.minPos, shape.maxPos))
}
