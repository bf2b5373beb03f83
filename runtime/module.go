package runtime

import (
	"fmt"

	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Module is an executed Starlark module: its name and its globals. With
// several loops it stands for every loop's copy of the module.
type Module struct {
	rt      *Runtime
	name    string
	globals []starlark.StringDict // by loop index
}

// Name returns the filename the module was executed as.
func (m *Module) Name() string { return m.name }

// Globals returns a copy of the module's global bindings (loop 0's copy,
// with several loops). The values are live: lists and dicts among them may
// be changed by the loop's callbacks while Run runs, so read those only
// while the loop is not running.
func (m *Module) Globals() starlark.StringDict {
	out := make(starlark.StringDict, len(m.globals[0]))
	for name, v := range m.globals[0] {
		out[name] = v
	}
	return out
}

// ProtocolFactory returns the module's global name — a protocol class, a
// function or a lambda that takes no arguments and returns a protocol
// object, or a predeclared GoFactory — as a Go protocol factory for Listen.
// The factory must be called on one of the runtime's loops, as Listen does.
// With several loops, it makes its protocols with the copy of the module
// that belongs to the loop calling it (and returns nil if called on any
// other goroutine).
func (m *Module) ProtocolFactory(name string) (transports.ProtocolFactory, error) {
	if _, ok := m.globals[0][name]; !ok {
		return nil, fmt.Errorf("starnet: module %s has no global %q", m.name, name)
	}
	r := m.rt
	factories := make([]transports.ProtocolFactory, len(r.copies))
	errs := r.onCopies(r.copies, func(c *loopCopy) error {
		v, ok := m.globals[c.index][name]
		if !ok {
			return fmt.Errorf("module %s has no global %q in loop %d (its copy did not run)", m.name, name, c.index)
		}
		f, err := c.env.ProtocolFactory(v)
		factories[c.index] = f
		return err
	})
	if err := firstError(errs); err != nil {
		return nil, fmt.Errorf("starnet: %s.%s: %w", m.name, name, err)
	}
	if !r.multi() {
		return factories[0], nil
	}
	return r.perLoopFactory(factories), nil
}

// perLoopFactory returns a factory that calls factories[i] on loop i.
func (r *Runtime) perLoopFactory(factories []transports.ProtocolFactory) transports.ProtocolFactory {
	return func() (transports.BaseProtocol, error) {
		c := r.callerCopy()
		if c == nil {
			return nil, nil // not on a loop: the transports report a nil protocol
		}
		return factories[c.index]()
	}
}

// CallMain calls the module's main(argv) with argv as a list of strings, if
// the module defines main (Config.Args when args is nil). Like the top level,
// main runs on the loop's goroutine while the loop is not running, so it may
// call loop.run_until_complete. It does nothing after the script called
// exit(), and an exit() inside main is not an error: Run reports its status.
// With several loops, each copy's main is called, loop 0's first.
func (m *Module) CallMain(args []string) error {
	if args == nil {
		args = m.rt.cfg.Args
	}
	r := m.rt
	return r.withHint(r.watched(func(c *loopCopy) error {
		if r.hasExited() {
			return nil
		}
		if err := c.env.CallMain(m.globals[c.index], args); err != nil {
			if r.hasExited() {
				return nil
			}
			return fmt.Errorf("starnet: %s: main%s: %w", m.name, c.where(), err)
		}
		return nil
	}), nil)
}

// StartTask runs the module's global function name as a task on every loop
// (each loop's copy of the function), as the script's loop.create_task(fn,
// *args) does: it starts at the loop's next iteration, may wait, and a
// failure nobody retrieves is reported when the run ends. StartTask is
// safe to call from any goroutine, before Run or while Run runs: it is
// how a host hands work to the scripts from outside the loop. The args
// are frozen, since every loop's copy receives the same values.
func (m *Module) StartTask(name string, args ...starlark.Value) error {
	if _, ok := m.globals[0][name]; !ok {
		return fmt.Errorf("starnet: module %s has no global %q", m.name, name)
	}
	for _, a := range args {
		a.Freeze()
	}
	r := m.rt
	errs := r.onCopies(r.copies, func(c *loopCopy) error {
		return c.env.StartTask(m.globals[c.index][name], starlark.Tuple(args), name)
	})
	if err := firstError(errs); err != nil {
		return fmt.Errorf("starnet: %s.%s: %w", m.name, name, err)
	}
	return nil
}
