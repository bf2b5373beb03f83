package runtime

import (
	"errors"
	"fmt"
	policy "github.com/starnet-dev/starnet/internal/permissions"
	"io"
	"math"
	"time"

	"github.com/starnet-dev/starnet/starlarkbind"
	"github.com/starnet-dev/starnet/transports"
)

// DefaultMaxSteps is the number of Starlark steps one callback may take when
// Config.MaxSteps is 0.
const DefaultMaxSteps = 100_000_000

// DefaultMaxChildren is how many child processes the scripts of one
// Runtime may have running at once when Config.MaxChildren is 0.
const DefaultMaxChildren = 256

// NoChildLimit, as Config.MaxChildren, lets scripts run any number of
// children (only the kernel's process limit then bounds them).
const NoChildLimit = -1

// MaxLoops is the largest Config.Loops.
const MaxLoops = 1024

// NoStepLimit, as Config.MaxSteps, lets callbacks run any number of steps.
// (MaxSteps 0 means DefaultMaxSteps, not "no limit".)
const NoStepLimit uint64 = math.MaxUint64

// Permissions says what scripts may do: connect and listen (Net), start
// subprocesses (Run), read and write files (Read, Write), read environment
// variables (Env). The zero value denies everything; a list holding "*"
// allows anything of its kind. Host calls such as Runtime.Listen are not
// checked.
type Permissions = starlarkbind.Permissions

// AllowAll returns permissions that allow everything, as the CLI's -A flag.
func AllowAll() Permissions {
	all := []string{"*"}
	return Permissions{Net: all, Run: all, Read: all, Write: all, Env: all}
}

// Config configures a Runtime. The zero value is valid: everything denied,
// output to os.Stdout and os.Stderr, the default step limit, one loop.
type Config struct {
	// Permissions says what scripts may do; the zero value denies everything.
	Permissions Permissions
	// Stdout receives the scripts' print output (os.Stdout if nil).
	Stdout io.Writer
	// Stderr receives diagnostics: tracebacks of failed callbacks, debug
	// reports (os.Stderr if nil).
	Stderr io.Writer
	// MaxSteps is how many Starlark steps one callback (or a module's top
	// level) may take before it is cancelled. 0 means DefaultMaxSteps;
	// NoStepLimit disables the limit.
	MaxSteps uint64
	// MaxMemory bounds the process's heap while scripts run, in bytes (the
	// CLI's --max-memory). 0 means DefaultMaxMemory(); NoMemoryLimit turns
	// the watcher off. The heap is the whole process's, the host's own
	// included. A watcher samples it every few milliseconds while Exec,
	// CallMain or Run runs, and Go's soft memory limit
	// (runtime/debug.SetMemoryLimit) is lowered to it meanwhile so that the
	// collector works hard before it is reached. When the heap is over the
	// limit after a collection, the Starlark code running at that moment on
	// every loop is cancelled ("MemoryError: the heap passed
	// --max-memory=..."), and the callback fails as any failing callback
	// does (its connection is closed). If the heap is still over the limit
	// after that and another collection, the runtime is closed and Run
	// returns a *MemoryError. It is a bound checked often, not an exact
	// allocator limit: see docs/API.md §1.
	MaxMemory uint64
	// MaxChildren caps the child processes the scripts of this runtime (all
	// loops together) may have running at once, from subprocess_exec or
	// subprocess_shell until the child is reaped: a call past it fails with
	// "BlockingIOError: [Errno 11] too many child processes" and starts
	// nothing. 0 means DefaultMaxChildren; NoChildLimit removes the cap.
	MaxChildren int
	// Debug turns on asyncio's debug mode: slow callbacks (those that run
	// for SlowCallbackDuration or longer) are reported on Stderr as they
	// happen, reports name where the script scheduled each callback and
	// made each future, and however the run ends (Close, exit(), a signal)
	// every transport and server the script left open is reported as
	// "ResourceWarning: unclosed transport <...>" ("unclosed server <...>")
	// before it is closed (docs/API.md §8 "--debug").
	Debug bool
	// SlowCallbackDuration is how long a callback may run before debug mode
	// reports it, in every loop (asyncio's loop.slow_callback_duration).
	// 0 means loop.DefaultSlowCallbackDuration (100 ms); it must not be
	// negative. Without Debug it has no effect.
	SlowCallbackDuration time.Duration
	// Args is the default argv that Module.CallMain passes to main when it
	// is given nil.
	Args []string
	// Loops is the number of event loops, as the CLI's --loops: each runs
	// on its own goroutine with its own copy of the scripts (executed once
	// per loop; loop.index tells a copy its number, 0 to Loops-1). 0 and 1
	// mean one loop; at most MaxLoops. With several loops, TCP servers bind
	// with SO_REUSEPORT so that every copy serves the same port (see
	// Runtime.Listen, and loop.create_server with port 0), print output from
	// the copies is written a whole line at a time, and an exit() in any
	// copy ends them all.
	Loops int
	// HandleSignals installs starnet's default SIGINT/SIGTERM handling, as
	// the CLI does: the first signal shuts down gracefully (servers stop
	// accepting, transports are flushed and closed, connection_lost(None)
	// is called) and Run returns an *ExitError with code 130 (SIGINT) or 143
	// (SIGTERM); a second signal aborts at once. A script that installs its
	// own handler with loop.add_signal_handler replaces this one (in its own
	// loop). With several loops, the runtime subscribes to the signals once
	// and hands each to every loop. Leave it false when the host handles
	// signals itself.
	HandleSignals bool
}

// stepBudget converts Config.MaxSteps to starlarkbind's convention, where 0
// means no limit.
func (c Config) stepBudget() uint64 {
	switch c.MaxSteps {
	case 0:
		return DefaultMaxSteps
	case NoStepLimit:
		return 0
	default:
		return c.MaxSteps
	}
}

// childLimit makes the one cap that every loop's children count against
// (nil: none).
func (c Config) childLimit() *transports.ChildLimit {
	switch c.MaxChildren {
	case NoChildLimit:
		return nil
	case 0:
		return transports.NewChildLimit(DefaultMaxChildren, "raise it with --max-children (Config.MaxChildren)")
	default:
		return transports.NewChildLimit(c.MaxChildren, "raise it with --max-children (Config.MaxChildren)")
	}
}

// validate reports a configuration that New cannot honour.
func (c Config) validate() error {
	if c.Loops < 0 {
		return fmt.Errorf("the Loops field must not be negative, got %d", c.Loops)
	}
	if c.Loops > MaxLoops {
		return fmt.Errorf("the Loops field is %d: at most %d loops", c.Loops, MaxLoops)
	}
	for _, entry := range c.Permissions.Net {
		if _, err := policy.ParseNetRule(entry); err != nil {
			return fmt.Errorf("bad Permissions.Net entry: %w", err)
		}
	}
	if c.MaxChildren < 0 && c.MaxChildren != NoChildLimit {
		return fmt.Errorf("MaxChildren must be positive, 0 (the default) or NoChildLimit, got %d", c.MaxChildren)
	}
	if c.SlowCallbackDuration < 0 {
		return fmt.Errorf("SlowCallbackDuration must not be negative, got %v", c.SlowCallbackDuration)
	}
	return nil
}

// ErrClosed is returned by the methods of a Runtime (and of its Modules and
// Listeners) after Close.
var ErrClosed = errors.New("starnet: runtime is closed")

// ErrRunning is returned by Run when the runtime is already running.
var ErrRunning = errors.New("starnet: runtime is already running")

// ExitError is returned by Run when the script ended with a non-zero exit
// status: exit(n) with n != 0, or the default signal handling (130 for
// SIGINT, 143 for SIGTERM).
type ExitError struct {
	// Code is the exit status.
	Code int
}

// Error returns "exit status N".
func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }
