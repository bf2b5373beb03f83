package runtime

import (
	"fmt"

	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Module is an executed Starlark module: its name and its globals.
type Module struct {
	rt      *Runtime
	name    string
	globals starlark.StringDict
}

// Name returns the filename the module was executed as.
func (m *Module) Name() string { return m.name }

// Globals returns a copy of the module's global bindings. The values are
// live: lists and dicts among them may be changed by the loop's callbacks
// while Run runs, so read those only while the loop is not running.
func (m *Module) Globals() starlark.StringDict {
	out := make(starlark.StringDict, len(m.globals))
	for name, v := range m.globals {
		out[name] = v
	}
	return out
}

// ProtocolFactory returns the module's global name — a protocol class, a
// function or a lambda that takes no arguments and returns a protocol
// object, or a predeclared GoFactory — as a Go protocol factory for Listen.
// The factory must be called on the runtime's loop, as Listen does.
func (m *Module) ProtocolFactory(name string) (transports.ProtocolFactory, error) {
	v, ok := m.globals[name]
	if !ok {
		return nil, fmt.Errorf("starnet: module %s has no global %q", m.name, name)
	}
	var f transports.ProtocolFactory
	err := m.rt.do(func() error {
		var err error
		f, err = m.rt.env.ProtocolFactory(v)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("starnet: %s.%s: %w", m.name, name, err)
	}
	return f, nil
}

// CallMain calls the module's main(argv) with argv as a list of strings, if
// the module defines main (Config.Args when args is nil). Like the top level,
// main runs on the loop's goroutine while the loop is not running, so it may
// call loop.run_until_complete. It does nothing after the script called
// exit(), and an exit() inside main is not an error: Run reports its status.
func (m *Module) CallMain(args []string) error {
	if args == nil {
		args = m.rt.cfg.Args
	}
	return m.rt.do(func() error {
		env := m.rt.env
		if _, exited := env.Exited(); exited {
			return nil
		}
		if err := env.CallMain(m.globals, args); err != nil {
			if _, exited := env.Exited(); exited {
				return nil
			}
			return fmt.Errorf("starnet: %s: main: %w", m.name, err)
		}
		return nil
	})
}
