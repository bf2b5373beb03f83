package starlarkbind

import (
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// callbackSource names a scheduled callback for "Exception in callback
// ..." reports, as asyncio's format_helpers._format_callback_source does:
// the function's name with its arguments in debug mode only (asyncio hides
// them otherwise, since they may hold sensitive data: "boom()"), then
// where a Starlark function was defined ("boom(1) at server.star:4").
func (e *Env) callbackSource(fn starlark.Callable, args starlark.Tuple) string {
	var b strings.Builder
	b.WriteString(fn.Name())
	if e.loop != nil && e.loop.GetDebug() {
		b.WriteByte('(')
		for i, a := range args {
			if i > 0 {
				b.WriteString(", ")
			}
			s := a.String()
			if len(s) > 40 {
				s = s[:37] + "..."
			}
			b.WriteString(s)
		}
		b.WriteByte(')')
	} else {
		b.WriteString("()")
	}
	if f, ok := fn.(*starlark.Function); ok {
		pos := f.Position()
		b.WriteString(" at ")
		b.WriteString(pos.Filename())
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(pos.Line)))
	}
	return b.String()
}
