// Package starlarkbind is starnet's Starlark face: the predeclared `loop`
// value, `protocol()` classes, the transport, server, future, handle and error
// values, the modules of API.md §6, permission checks, and the adapter that
// makes any Starlark protocol object a transports protocol.
//
// One Env belongs to one loop.Loop and one starlark.Thread; every Starlark
// callback runs on that loop's goroutine, under the step budget.
//
// This package imports loop, transports and go.starlark.net; it must not
// import runtime or cmd.
package starlarkbind

import (
	"io"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// CONTRACT STUB: the bodies below are being written; the signatures are fixed.

// Permissions says what scripts may do; the zero value denies everything.
// A list holding "*" allows anything of its kind.
type Permissions struct {
	// Net entries: "host", "host:port", ":port", a CIDR, or "*".
	Net []string
	// Run entries: program names or absolute paths, or "*".
	Run []string
	// Read and Write entries: paths (a directory covers what is under it), or "*".
	Read  []string
	Write []string
	// Env allows os.getenv.
	Env bool
}

// Options configure an Env.
type Options struct {
	Loop        *loop.Loop
	Permissions Permissions
	// Stdout receives print; Stderr receives diagnostics (os.Stdout/os.Stderr if nil).
	Stdout io.Writer
	Stderr io.Writer
	// MaxSteps is the step budget of one callback; 0 means no limit.
	MaxSteps uint64
	// Index is this loop's number (loop.index), 0 for the first.
	Index int
	// HandleSignals installs the default SIGINT/SIGTERM handling (graceful
	// drain, then exit code 130/143; a second signal aborts), unless the
	// script installs its own handler for that signal.
	HandleSignals bool
}

// Env is the Starlark environment of one loop: its thread, its predeclared
// names, and every transport and server its scripts opened.
type Env struct {
	_ int
}

// NewEnv creates the environment and its starlark.Thread.
func NewEnv(opts Options) *Env { panic("unimplemented") }

// Thread returns the env's thread. The runtime sets its Load function.
func (e *Env) Thread() *starlark.Thread { panic("unimplemented") }

// Loop returns the env's loop.
func (e *Env) Loop() *loop.Loop { panic("unimplemented") }

// Predeclare adds a host value to the names every module sees. Call it before
// the first Exec.
func (e *Env) Predeclare(name string, v starlark.Value) { panic("unimplemented") }

// Predeclared returns every predeclared name (API.md §2 plus the host's).
func (e *Env) Predeclared() starlark.StringDict { panic("unimplemented") }

// Exec runs a module's top level on the thread (the loop must not be running
// Starlark at the time) and returns its globals, not frozen.
func (e *Env) Exec(filename string, src []byte) (starlark.StringDict, error) {
	panic("unimplemented")
}

// CallMain calls globals["main"](argv) if the module defines main.
func (e *Env) CallMain(globals starlark.StringDict, argv []string) error {
	panic("unimplemented")
}

// ProtocolFactory turns a Starlark callable (a protocol class, a function, a
// lambda) or a GoFactory value into a transports.ProtocolFactory.
func (e *Env) ProtocolFactory(v starlark.Value) (transports.ProtocolFactory, error) {
	panic("unimplemented")
}

// GoFactory wraps a Go ProtocolFactory as a Starlark value that scripts can
// pass wherever a protocol factory is taken.
func GoFactory(f transports.ProtocolFactory) starlark.Value { panic("unimplemented") }

// Exited reports whether the script called exit(), and its code.
func (e *Env) Exited() (code int, ok bool) { panic("unimplemented") }

// Shutdown stops every server and closes every transport the env opened:
// gracefully (buffers flushed, ConnectionLost(nil)) or, with abort, at once.
func (e *Env) Shutdown(abort bool) { panic("unimplemented") }
