package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.starlark.net/starlark"
)

// loadedModule is a load() cache entry: a module executed once and frozen,
// or the error it failed with.
type loadedModule struct {
	globals starlark.StringDict
	err     error
}

// moduleRef names a module whose top level is executing.
type moduleRef struct {
	key  string // absolute path, the cache key
	name string // the name shown to users
}

// execModule runs a host-executed module (Exec) on the owner goroutine. An
// exit() in the top level is not an error: Run reports its status.
func (c *loopCopy) execModule(filename string, src []byte) (starlark.StringDict, error) {
	defer c.enterModule(filename)()
	globals, err := c.env.Exec(filename, src)
	if err != nil {
		if _, exited := c.env.Exited(); exited {
			return orEmpty(globals), nil
		}
		return nil, fmt.Errorf("starnet: exec %s%s: %w", filename, c.where(), err)
	}
	return orEmpty(globals), nil
}

// load is the thread's Load function, for load("path.star", "name"): path is
// relative to the directory of the loading module. Each module is executed
// once per loop, with the same predeclared names, and frozen; later loads
// get the cached globals (or the cached error). A module that loads itself,
// directly or not, gets an error naming the cycle.
func (c *loopCopy) load(thread *starlark.Thread, module string) (starlark.StringDict, error) {
	name := loadPath(loadingFile(thread), module)
	key := moduleKey(name)
	if cycle := c.cycleTo(key, name); cycle != "" {
		return nil, fmt.Errorf("load cycle: %s", cycle)
	}
	if m, ok := c.own.modules[key]; ok {
		return m.globals, m.err
	}
	globals, err := c.execLoaded(name)
	c.own.modules[key] = &loadedModule{globals: globals, err: err}
	if err == nil {
		if code, exited := c.env.Exited(); exited {
			// The module called exit(): end the loading module too.
			return nil, c.exitUnwind(code)
		}
	}
	return globals, err
}

// exitUnwind returns the error with which the exit builtin ends the Starlark
// code that called it, so that an exit() in a loaded module also ends the
// modules loading it. The exit itself has happened already; calling exit
// again keeps its code.
func (c *loopCopy) exitUnwind(code int) error {
	exit, ok := c.own.exitFn.(starlark.Callable)
	if ok {
		if _, err := starlark.Call(c.thread, exit, starlark.Tuple{starlark.MakeInt(code)}, nil); err != nil {
			return err
		}
	}
	return fmt.Errorf("exit(%d)", code)
}

// execLoaded reads and executes a loaded module and freezes its globals.
func (c *loopCopy) execLoaded(name string) (starlark.StringDict, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	defer c.enterModule(name)()
	globals, err := c.env.Exec(name, src)
	if err != nil {
		return nil, err
	}
	globals = orEmpty(globals)
	globals.Freeze()
	return globals, nil
}

// enterModule records that name's top level is executing, for cycle
// detection; call the returned function when it is done.
func (c *loopCopy) enterModule(name string) func() {
	s := &c.own
	s.executing = append(s.executing, moduleRef{key: moduleKey(name), name: name})
	n := len(s.executing)
	return func() { s.executing = s.executing[:n-1] }
}

// cycleTo returns "a.star -> b.star -> a.star" if the module key is already
// executing, else "".
func (c *loopCopy) cycleTo(key, name string) string {
	for i, m := range c.own.executing {
		if m.key != key {
			continue
		}
		var names []string
		for _, m := range c.own.executing[i:] {
			names = append(names, m.name)
		}
		return strings.Join(append(names, name), " -> ")
	}
	return ""
}

// loadingFile returns the file name of the module executing the load
// statement.
func loadingFile(thread *starlark.Thread) string {
	if thread.CallStackDepth() == 0 {
		return ""
	}
	return thread.CallFrame(0).Pos.Filename()
}

// loadPath resolves module relative to the directory of the loading file.
func loadPath(from, module string) string {
	if filepath.IsAbs(module) {
		return filepath.Clean(module)
	}
	return filepath.Join(filepath.Dir(from), module)
}

// moduleKey is the cache key of a module file: its absolute, clean path.
func moduleKey(name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		return filepath.Clean(name)
	}
	return abs
}

func orEmpty(d starlark.StringDict) starlark.StringDict {
	if d == nil {
		return starlark.StringDict{}
	}
	return d
}
