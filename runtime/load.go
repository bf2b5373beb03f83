package runtime

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	policy "github.com/starnet-dev/starnet/internal/permissions"

	"go.starlark.net/starlark"
)

// loadedModule is a load() cache entry: a module executed once (not frozen),
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
	c.addLoadRoot(filename)
	defer c.enterModule(filename, moduleKey(filename))()
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
// relative to the directory of the loading module. Only files in the
// directory trees of the modules the host executed (the main script's) or
// under --allow-read may be loaded, judged on the path as the kernel
// resolves it (links and ".." followed); a file outside them is refused
// before it is read, so no error can quote what it holds. Each module is
// executed once per loop, with the same predeclared names, and left
// unfrozen, as the main script is (see execLoaded); later loads get the
// cached globals (or the cached error). A module that
// loads itself, directly or not, gets an error naming the cycle.
func (c *loopCopy) load(thread *starlark.Thread, module string) (starlark.StringDict, error) {
	from := loadingFile(thread)
	name := loadPath(from, module)
	key, err := c.loadable(from, module)
	if err != nil {
		return nil, err
	}
	if cycle := c.cycleTo(key, name); cycle != "" {
		return nil, fmt.Errorf("load cycle: %s", cycle)
	}
	if m, ok := c.own.modules[key]; ok {
		return m.globals, m.err
	}
	globals, err := c.execLoaded(name, key)
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

// execLoaded reads the module at the resolved path (without following a
// link swapped in since the check) and executes it as name.
//
// Its globals are not frozen (API.md §8 "State in loaded modules"): a
// helper module may keep a counter or a cache in a dict or list, as a
// Python module does. go.starlark.net freezes loaded modules so that
// threads sharing one module cannot race; here every loop has its own
// cache (ownerState.modules), executes its own copy of each module and runs
// it on its own goroutine only, so no value of a loaded module is reachable
// from another thread.
func (c *loopCopy) execLoaded(name, resolved string) (starlark.StringDict, error) {
	src, err := policy.ReadFile(resolved)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, errors.Unwrap(err))
	}
	defer c.enterModule(name, resolved)()
	globals, err := c.env.Exec(name, src)
	if err != nil {
		return nil, err
	}
	return orEmpty(globals), nil
}

// addLoadRoot records the directory of a module the host executed: load()
// may read files below it.
func (c *loopCopy) addLoadRoot(filename string) {
	dir, err := policy.Resolve(filepath.Dir(filename))
	if err == nil && !slices.Contains(c.own.loadRoots, dir) {
		c.own.loadRoots = append(c.own.loadRoots, dir)
	}
}

// loadable resolves module as loaded from the file from and returns the
// resolved path, or an error if it is outside the load roots and
// --allow-read. The path is resolved from the raw text, so that ".." after
// a link steps back from where the link led, as the kernel would.
func (c *loopCopy) loadable(from, module string) (string, error) {
	raw := module
	if !filepath.IsAbs(module) {
		raw = filepath.Dir(from) + string(filepath.Separator) + module
	}
	resolved, err := policy.Resolve(raw)
	if err != nil {
		return "", err
	}
	if c.rt.readable.Contains(resolved) {
		return resolved, nil
	}
	for _, root := range c.own.loadRoots {
		if policy.Within(resolved, root) {
			return resolved, nil
		}
	}
	note := ""
	if abs, err := filepath.Abs(raw); err != nil || abs != resolved {
		note = fmt.Sprintf(" (it resolves to %s)", resolved)
	}
	return "", fmt.Errorf("outside the script's directory and --allow-read%s; run with --allow-read=%s", note, resolved)
}

// enterModule records that name's top level is executing, for cycle
// detection; call the returned function when it is done.
func (c *loopCopy) enterModule(name, key string) func() {
	s := &c.own
	s.executing = append(s.executing, moduleRef{key: key, name: name})
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

// moduleKey is the cache key of a module the host executed: its path as
// the kernel resolves it, as load() keys the modules it loads.
func moduleKey(name string) string {
	if resolved, err := policy.Resolve(name); err == nil {
		return resolved
	}
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return filepath.Clean(name)
}

func orEmpty(d starlark.StringDict) starlark.StringDict {
	if d == nil {
		return starlark.StringDict{}
	}
	return d
}
