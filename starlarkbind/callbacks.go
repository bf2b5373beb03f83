package starlarkbind

import (
	"fmt"
	"sort"
	"strings"

	"github.com/starnet-dev/starnet/internal/suggest"
	"go.starlark.net/starlark"
)

// CallbackParams lists, for each protocol callback the loop calls, the
// arguments it passes after self. protocol() checks the classes it makes
// against it, and so does `starnet check`, statically.
var CallbackParams = map[string][]string{
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

// ClosestCallback returns the callback name (or "init") that name most
// probably misspells, at most two edits away, or "" if none is close (or
// name is short, or is a callback itself).
func ClosestCallback(name string) string {
	if _, known := CallbackParams[name]; known || name == "init" || len(name) < 5 {
		return ""
	}
	candidates := []string{"init"}
	for known := range CallbackParams {
		candidates = append(candidates, known)
	}
	sort.Strings(candidates)
	return suggest.Closest(name, candidates, 2)
}

// UnknownCallbackMessage is the message for a member of class that
// misspells the callback guess.
func UnknownCallbackMessage(class, name, guess string) string {
	return fmt.Sprintf("protocol %s: unknown callback %q; did you mean %q?", class, name, guess)
}

// ArityMessage is the message for a callback the loop calls as
// callback(self, params...) whose function (named where) takes positional
// arguments as described (e.g. "1", "2 to 3", "at least 2").
func ArityMessage(class, callback string, params []string, where, takes string) string {
	args := len(params) + 1
	call := fmt.Sprintf("%s(%s)", callback, strings.Join(append([]string{"self"}, params...), ", "))
	word := "arguments"
	if args == 1 {
		word = "argument"
	}
	return fmt.Sprintf("protocol %s: the loop calls %s with %d %s, but %s takes %s", class, call, args, word, where, takes)
}

// KeywordOnlyMessage is the message for a callback whose function requires
// the keyword-only parameter param, which the loop never passes.
func KeywordOnlyMessage(class, callback string, params []string, where, param string) string {
	call := fmt.Sprintf("%s(%s)", callback, strings.Join(append([]string{"self"}, params...), ", "))
	return fmt.Sprintf("protocol %s: the loop calls %s, but %s requires keyword-only parameter %q", class, call, where, param)
}

// DescribeArity says how many positional arguments a function takes.
func DescribeArity(minPos, maxPos int) string {
	switch {
	case maxPos < 0:
		return fmt.Sprintf("at least %d", minPos)
	case minPos == maxPos:
		return fmt.Sprintf("%d", minPos)
	default:
		return fmt.Sprintf("%d to %d", minPos, maxPos)
	}
}

// checkClassMembers reports, as protocol() makes class, the first member
// that misspells a callback or whose function the loop could not call with
// the callback's arguments: the script then fails where it made the class,
// instead of running a server that never answers.
func checkClassMembers(class string, members starlark.StringDict, names []string) error {
	for _, name := range names {
		params, known := CallbackParams[name]
		if !known {
			if guess := ClosestCallback(name); guess != "" {
				return valueErrorf("%s", UnknownCallbackMessage(class, name, guess))
			}
			continue
		}
		fn, ok := members[name].(*starlark.Function)
		if !ok {
			continue // a builtin, a lambda bound elsewhere, None: checked when called
		}
		if msg := functionArityProblem(class, name, params, fn); msg != "" {
			return typeErrorf("%s", msg)
		}
	}
	return nil
}

// functionArityProblem explains why fn cannot be called as callback, or
// returns "".
func functionArityProblem(class, callback string, params []string, fn *starlark.Function) string {
	where := fmt.Sprintf("%s (%s)", fn.Name(), fn.Position())
	positional := fn.NumParams() - fn.NumKwonlyParams()
	if fn.HasVarargs() {
		positional--
	}
	if fn.HasKwargs() {
		positional--
	}
	minPos := 0
	for i := 0; i < positional; i++ {
		if fn.ParamDefault(i) == nil {
			minPos = i + 1
		}
	}
	// The keyword-only parameters follow the positional ones (*args and
	// **kwargs come last).
	for i := positional; i < positional+fn.NumKwonlyParams(); i++ {
		if fn.ParamDefault(i) == nil {
			name, _ := fn.Param(i)
			return KeywordOnlyMessage(class, callback, params, where, name)
		}
	}
	maxPos := positional
	if fn.HasVarargs() {
		maxPos = -1
	}
	args := len(params) + 1
	if args >= minPos && (maxPos < 0 || args <= maxPos) {
		return ""
	}
	return ArityMessage(class, callback, params, where, DescribeArity(minPos, maxPos))
}
