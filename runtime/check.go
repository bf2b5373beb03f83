package runtime

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// predeclaredNames are the names every script sees besides Starlark's
// universe (API.md "Predeclared names"), and the universe's str, repr and print, which the
// env predeclares again with a nesting limit (starlarkbind.MaxNesting).
var predeclaredNames = []string{
	"loop", "protocol", "struct", "exit",
	"ssl", "subprocess", "signal", "os", "binary", "json", "time", "math",
	"str", "repr", "print",
}

// CheckError is one problem Check found, at a position in the file.
type CheckError struct {
	Pos syntax.Position
	Msg string
}

// Error reads "file:line:col: message".
func (e *CheckError) Error() string { return e.Pos.String() + ": " + e.Msg }

// Check examines a script without executing it or doing any I/O, as
// `starnet check` does: it parses and resolves src in starnet's dialect
// against the predeclared names of API.md "Predeclared names" (plus extra, for names a host
// predeclares), then checks the shape of protocols: in each
// protocol("Name", callback = f, ...) whose callbacks are top-level
// functions or lambdas, a known callback whose function cannot take the
// arguments the loop passes (self plus, e.g., data for data_received), and
// an unknown callback name that looks like a typo of a known one. It returns
// nil when it finds nothing; each error reads "file:line:col: message".
// load() statements are resolved but the loaded files are not read.
func Check(filename string, src []byte, extra ...string) []error {
	f, err := starlarkbind.FileOptions().Parse(filename, src, 0)
	if err != nil {
		return []error{err}
	}
	names := map[string]bool{}
	for _, n := range append(predeclaredNames, extra...) {
		names[n] = true
	}
	isPredeclared := func(name string) bool { return names[name] }
	var errs []error
	if err := resolve.File(f, isPredeclared, starlark.Universe.Has); err != nil {
		var list resolve.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				errs = append(errs, &CheckError{Pos: e.Pos, Msg: e.Msg})
			}
		} else {
			errs = append(errs, err)
		}
	}
	return append(errs, checkProtocols(f)...)
}

// callbackParams lists, for each protocol callback the loop calls, the
// arguments it passes after self.
var callbackParams = map[string][]string{
	"connection_made":      {"transport"},
	"connection_lost":      {"exc"},
	"pause_writing":        nil,
	"resume_writing":       nil,
	"data_received":        {"data"},
	"eof_received":         nil,
	"get_buffer":           {"sizehint"},
	"buffer_updated":       {"nbytes"},
	"datagram_received":    {"data", "addr"},
	"error_received":       {"exc"},
	"pipe_data_received":   {"fd", "data"},
	"pipe_connection_lost": {"fd", "exc"},
	"process_exited":       nil,
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
		params, known := callbackParams[key.Name]
		if !known {
			if guess := closestCallback(key.Name); guess != "" {
				errs = append(errs, &CheckError{Pos: key.NamePos,
					Msg: fmt.Sprintf("protocol %s: unknown callback %q; did you mean %q?", class, key.Name, guess)})
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
	args := len(params) + 1
	call := fmt.Sprintf("%s(%s)", callback, strings.Join(append([]string{"self"}, params...), ", "))
	where := shape.name
	if shape.pos.IsValid() {
		where = fmt.Sprintf("%s (%s)", shape.name, shape.pos)
	}
	if len(shape.kwOnly) > 0 {
		return fmt.Sprintf("protocol %s: the loop calls %s, but %s requires keyword-only parameter %q",
			class, call, where, shape.kwOnly[0])
	}
	if args >= shape.minPos && (shape.maxPos < 0 || args <= shape.maxPos) {
		return ""
	}
	return fmt.Sprintf("protocol %s: the loop calls %s with %d %s, but %s takes %s",
		class, call, args, plural(args, "argument"), where, describeArity(shape))
}

// describeArity says how many positional arguments a function takes.
func describeArity(s funcShape) string {
	switch {
	case s.maxPos < 0:
		return fmt.Sprintf("at least %d", s.minPos)
	case s.minPos == s.maxPos:
		return fmt.Sprintf("%d", s.minPos)
	default:
		return fmt.Sprintf("%d to %d", s.minPos, s.maxPos)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// closestCallback returns the known callback name (or "init") that name
// most probably misspells, or "" if none is close.
func closestCallback(name string) string {
	if name == "init" || len(name) < 5 {
		return ""
	}
	candidates := []string{"init"}
	for known := range callbackParams {
		candidates = append(candidates, known)
	}
	sort.Strings(candidates)
	best, bestDist := "", 3 // accept at most 2 edits
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
