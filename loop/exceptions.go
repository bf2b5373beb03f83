package loop

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
)

// PanicError is the error reported when a callback panics: the panic value
// and the stack of the goroutine where it happened.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the goroutine's stack trace at the panic.
	Stack string
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Backtrace returns the panic value followed by the stack trace; the default
// exception handler prints it.
func (e *PanicError) Backtrace() string {
	if bt, ok := e.Value.(interface{ Backtrace() string }); ok {
		return e.Error() + "\n" + bt.Backtrace() + "\n\n" + e.Stack
	}
	return e.Error() + "\n\n" + e.Stack
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// reportPanic reports a callback that panicked (asyncio's Handle._run).
func (l *Loop) reportPanic(h *Handle, r any, stack []byte) {
	ctx := ErrorContext{
		Message: "Exception in callback",
		Err:     &PanicError{Value: r, Stack: string(stack)},
	}
	if h != nil {
		ctx.Extra = map[string]any{"handle": h}
	}
	l.CallExceptionHandler(ctx)
}

// SetExceptionHandler sets the handler for unhandled errors; nil restores
// the default one.
func (l *Loop) SetExceptionHandler(h ExceptionHandler) { l.handler = h }

// CallExceptionHandler passes ctx to the exception handler. A handler that
// panics is reported by the default handler instead.
func (l *Loop) CallExceptionHandler(ctx ErrorContext) {
	h := l.handler
	if h == nil {
		l.DefaultExceptionHandler(ctx)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			l.DefaultExceptionHandler(ErrorContext{
				Message: "Unhandled error in exception handler",
				Err:     &PanicError{Value: r, Stack: string(debug.Stack())},
				Extra:   map[string]any{"context": ctx},
			})
		}
	}()
	h(l, ctx)
}

// DefaultExceptionHandler writes ctx to the loop's Stderr: the message, then
// the error (or its Backtrace()), then the transport and protocol if set.
//
// The Extra keys follow, sorted, one "key: value" line each. Values are
// shown as Describe shows them: a Go protocol without a String method as
// "<Go protocol *main.echo>", never as a dump of its fields. The context passes through
// Options.BeforeDefaultReport first.
func (l *Loop) DefaultExceptionHandler(ctx ErrorContext) {
	// A broken error value or writer must not take the loop down with it.
	defer func() { _ = recover() }()
	if l.beforeReport != nil {
		ctx = l.beforeReport(ctx)
	}
	var b strings.Builder
	writeContext(&b, ctx, "")
	w := l.stderr
	if w == nil {
		w = os.Stderr
	}
	io.WriteString(w, b.String())
}

// writeContext formats ctx, each line starting with indent.
func writeContext(b *strings.Builder, ctx ErrorContext, indent string) {
	msg := ctx.Message
	if msg == "" {
		msg = "Unhandled exception in event loop"
	}
	writeLines(b, indent, msg)
	if ctx.Err != nil {
		if bt, ok := ctx.Err.(interface{ Backtrace() string }); ok {
			writeLines(b, indent, bt.Backtrace())
		} else {
			writeLines(b, indent, ctx.Err.Error())
		}
	}
	if ctx.Transport != nil {
		writeLines(b, indent, "transport: "+Describe(ctx.Transport, "transport"))
	}
	if ctx.Protocol != nil {
		writeLines(b, indent, "protocol: "+Describe(ctx.Protocol, "protocol"))
	}
	keys := make([]string, 0, len(ctx.Extra))
	for k := range ctx.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if inner, ok := ctx.Extra[k].(ErrorContext); ok {
			writeLines(b, indent, k+":")
			writeContext(b, inner, indent+"    ")
			continue
		}
		writeLines(b, indent, k+": "+Describe(ctx.Extra[k], "value"))
	}
}

// writeLines writes text with indent before each line and a final newline.
func writeLines(b *strings.Builder, indent, text string) {
	text = strings.TrimRight(text, "\n")
	for line := range strings.SplitSeq(text, "\n") {
		b.WriteString(indent)
		b.WriteString(line)
		b.WriteByte('\n')
	}
}
