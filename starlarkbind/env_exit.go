package starlarkbind

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"
)

// exit(code) (API.md "Predeclared names"): the script ends by closing
// everything gracefully; the loop stops once every transport is lost, and
// the first exit's code is kept for the host (Exited, Options.OnExit).

// Exited reports whether the script called exit(), and its code. It also
// reports the default SIGINT/SIGTERM handling (codes 130 and 143).
func (e *Env) Exited() (code int, ok bool) { return e.exitCode, e.exited }

// exitError is what exit() fails with, to end the running Starlark code.
type exitError struct{ code int }

func (x *exitError) Error() string { return fmt.Sprintf("exit(%d)", x.code) }

func isExit(err error) bool {
	var x *exitError
	return errors.As(err, &x)
}

// exitBuiltin implements exit(code=0).
func (e *Env) exitBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	code := 0
	if err := unpack(b.Name(), args, kwargs, "code?", &code); err != nil {
		return nil, err
	}
	e.exit(code)
	return nil, &exitError{code: e.exitCode}
}

// exit closes everything gracefully and stops the loop once it is all lost.
// The first exit's code is kept.
func (e *Env) exit(code int) {
	e.reportUnclosedAtExit() // debug mode (debugreport.go)
	e.markExited(code)
	e.Shutdown(false)
	e.stopWhenDrained()
}

// markExited records the first exit and tells the host (Options.OnExit).
func (e *Env) markExited(code int) {
	if e.exited {
		return
	}
	e.exited = true
	e.exitCode = code
	if e.onExit != nil {
		e.onExit(code)
	}
}

func (e *Env) stopWhenDrained() {
	e.draining = true
	if len(e.conns) == 0 && e.loop != nil {
		e.loop.Stop()
	}
}
