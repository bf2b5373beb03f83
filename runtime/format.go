package runtime

import (
	"errors"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/syntax"
)

// FormatError renders an error from Exec, CallMain or Run for a person: a
// Starlark traceback (every frame as file:line:col) for an evaluation error,
// one line per problem for syntax and name-resolution errors, and the plain
// message otherwise; then, when the error has one, a "hint: ..." line that
// says what to write instead (starlarkbind.Hint). It is what `starnet run`
// prints on stderr.
func FormatError(err error) string {
	if err == nil {
		return ""
	}
	var h *hinted
	if errors.As(err, &h) {
		return FormatError(h.err) + "\nhint: " + h.hint
	}
	var bt interface{ Backtrace() string }
	if errors.As(err, &bt) {
		return strings.TrimRight(bt.Backtrace(), "\n")
	}
	var list resolve.ErrorList
	if errors.As(err, &list) {
		lines := make([]string, len(list))
		for i, e := range list {
			lines[i] = e.Error()
		}
		return strings.Join(lines, "\n")
	}
	var serr syntax.Error
	if errors.As(err, &serr) {
		return serr.Error()
	}
	return err.Error()
}
