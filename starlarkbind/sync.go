package starlarkbind

import (
	"github.com/starnet-dev/starnet/loop"
	"go.starlark.net/starlark"
)

// Synchronisation values (API.md "Synchronisation"): asyncio's Lock,
// Event, Semaphore, BoundedSemaphore and Queue, made by loop.Lock(),
// loop.Event(), ... The logic is the loop package's; what is a coroutine
// in asyncio (acquire, wait, put, get, join) returns a Future.

// syncMethod is one method of a synchronisation value.
type syncMethod func(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// syncAttr returns the builtin for v's method name, implemented by m, or
// an AttributeError if m is nil.
func syncAttr(v starlark.Value, name string, m syncMethod) (starlark.Value, error) {
	if m == nil {
		return nil, noAttr(v, name)
	}
	fnname := v.Type() + "." + name
	return starlark.NewBuiltin(name, func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return m(fnname, args, kwargs)
	}), nil
}

// noArgsBool wraps a method of no arguments returning a bool.
func noArgsBool(fn func() bool) syncMethod {
	return func(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := noArgs(fnname, args, kwargs); err != nil {
			return nil, err
		}
		return starlark.Bool(fn()), nil
	}
}

// noArgsFuture wraps a method of no arguments returning a Future.
func (e *Env) noArgsFuture(fn func() *loop.Future) syncMethod {
	return func(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := noArgs(fnname, args, kwargs); err != nil {
			return nil, err
		}
		return e.futureValue(fn()), nil
	}
}

// noArgsErr wraps a method of no arguments returning None or an error.
func noArgsErr(fn func() error) syncMethod {
	return func(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := noArgs(fnname, args, kwargs); err != nil {
			return nil, err
		}
		if err := fn(); err != nil {
			return nil, failWith(NewErrorValue(err))
		}
		return starlark.None, nil
	}
}

// lockValue is a loop.Lock.
type lockValue struct {
	e *Env
	k *loop.Lock
}

var _ starlark.HasAttrs = (*lockValue)(nil)

func (v *lockValue) String() string        { return v.k.String() }
func (v *lockValue) Type() string          { return "lock" }
func (v *lockValue) Freeze()               {}
func (v *lockValue) Truth() starlark.Bool  { return starlark.True }
func (v *lockValue) Hash() (uint32, error) { return identityHash(v.k), nil }
func (v *lockValue) AttrNames() []string   { return []string{"acquire", "locked", "release"} }

func (v *lockValue) Attr(name string) (starlark.Value, error) {
	var m syncMethod
	switch name {
	case "acquire":
		m = v.e.noArgsFuture(v.k.Acquire)
	case "release":
		m = noArgsErr(v.k.Release)
	case "locked":
		m = noArgsBool(v.k.Locked)
	}
	return syncAttr(v, name, m)
}

// eventValue is a loop.Event.
type eventValue struct {
	e  *Env
	ev *loop.Event
}

var _ starlark.HasAttrs = (*eventValue)(nil)

func (v *eventValue) String() string        { return v.ev.String() }
func (v *eventValue) Type() string          { return "event" }
func (v *eventValue) Freeze()               {}
func (v *eventValue) Truth() starlark.Bool  { return starlark.True }
func (v *eventValue) Hash() (uint32, error) { return identityHash(v.ev), nil }
func (v *eventValue) AttrNames() []string   { return []string{"clear", "is_set", "set", "wait"} }

func (v *eventValue) Attr(name string) (starlark.Value, error) {
	var m syncMethod
	switch name {
	case "set":
		m = noArgsErr(func() error { v.ev.Set(); return nil })
	case "clear":
		m = noArgsErr(func() error { v.ev.Clear(); return nil })
	case "is_set":
		m = noArgsBool(v.ev.IsSet)
	case "wait":
		m = v.e.noArgsFuture(v.ev.Wait)
	}
	return syncAttr(v, name, m)
}

// semaphoreValue is a loop.Semaphore (bounded or not).
type semaphoreValue struct {
	e *Env
	s *loop.Semaphore
}

var _ starlark.HasAttrs = (*semaphoreValue)(nil)

func (v *semaphoreValue) String() string { return v.s.String() }

func (v *semaphoreValue) Type() string {
	if v.s.Bounded() {
		return "bounded_semaphore"
	}
	return "semaphore"
}

func (v *semaphoreValue) Freeze()               {}
func (v *semaphoreValue) Truth() starlark.Bool  { return starlark.True }
func (v *semaphoreValue) Hash() (uint32, error) { return identityHash(v.s), nil }
func (v *semaphoreValue) AttrNames() []string   { return []string{"acquire", "locked", "release"} }

func (v *semaphoreValue) Attr(name string) (starlark.Value, error) {
	var m syncMethod
	switch name {
	case "acquire":
		m = v.e.noArgsFuture(v.s.Acquire)
	case "release":
		m = noArgsErr(v.s.Release)
	case "locked":
		m = noArgsBool(v.s.Locked)
	}
	return syncAttr(v, name, m)
}

// queueValue is a loop.Queue of Starlark values.
type queueValue struct {
	e *Env
	q *loop.Queue
}

var _ starlark.HasAttrs = (*queueValue)(nil)

func (v *queueValue) String() string {
	return v.q.Format(func(item any) string { return item.(starlark.Value).String() })
}

func (v *queueValue) Type() string          { return "queue" }
func (v *queueValue) Freeze()               {}
func (v *queueValue) Truth() starlark.Bool  { return starlark.True }
func (v *queueValue) Hash() (uint32, error) { return identityHash(v.q), nil }

var queueAttrNames = []string{"empty", "full", "get", "get_nowait", "join", "maxsize", "put", "put_nowait", "qsize", "shutdown", "task_done"}

func (v *queueValue) AttrNames() []string { return queueAttrNames }

func (v *queueValue) Attr(name string) (starlark.Value, error) {
	var m syncMethod
	switch name {
	case "maxsize":
		return starlark.MakeInt(v.q.Maxsize()), nil
	case "qsize":
		m = func(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := noArgs(fnname, args, kwargs); err != nil {
				return nil, err
			}
			return starlark.MakeInt(v.q.Qsize()), nil
		}
	case "empty":
		m = noArgsBool(v.q.Empty)
	case "full":
		m = noArgsBool(v.q.Full)
	case "put":
		m = v.put
	case "put_nowait":
		m = v.putNowait
	case "get":
		m = v.e.noArgsFuture(v.q.Get)
	case "get_nowait":
		m = v.getNowait
	case "task_done":
		m = noArgsErr(v.q.TaskDone)
	case "join":
		m = v.e.noArgsFuture(v.q.Join)
	case "shutdown":
		m = v.shutdown
	}
	return syncAttr(v, name, m)
}

func (v *queueValue) put(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var item starlark.Value
	if err := unpack(fnname, args, kwargs, "item", &item); err != nil {
		return nil, err
	}
	return v.e.futureValue(v.q.Put(item)), nil
}

func (v *queueValue) putNowait(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var item starlark.Value
	if err := unpack(fnname, args, kwargs, "item", &item); err != nil {
		return nil, err
	}
	if err := v.q.PutNowait(item); err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

func (v *queueValue) getNowait(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	item, err := v.q.GetNowait()
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return item.(starlark.Value), nil
}

func (v *queueValue) shutdown(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	immediate := false
	if err := unpack(fnname, args, kwargs, "immediate?", &immediate); err != nil {
		return nil, err
	}
	v.q.Shutdown(immediate)
	return starlark.None, nil
}

// The loop's constructors of the values above.

func (lv *loopValue) newLock(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return &lockValue{e: lv.e, k: lv.l().NewLock()}, nil
}

func (lv *loopValue) newEvent(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	return &eventValue{e: lv.e, ev: lv.l().NewEvent()}, nil
}

func (lv *loopValue) newSemaphore(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.semaphore(fnname, args, kwargs, lv.l().NewSemaphore)
}

func (lv *loopValue) newBoundedSemaphore(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.semaphore(fnname, args, kwargs, lv.l().NewBoundedSemaphore)
}

// semaphore reads Semaphore's value=1 and makes the semaphore with make.
func (lv *loopValue) semaphore(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, make func(int) (*loop.Semaphore, error)) (starlark.Value, error) {
	value := 1
	if err := unpack(fnname, args, kwargs, "value?", &value); err != nil {
		return nil, err
	}
	s, err := make(value)
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return &semaphoreValue{e: lv.e, s: s}, nil
}

func (lv *loopValue) newQueue(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	maxsize := 0
	if err := unpack(fnname, args, kwargs, "maxsize?", &maxsize); err != nil {
		return nil, err
	}
	return &queueValue{e: lv.e, q: lv.l().NewQueue(maxsize)}, nil
}
