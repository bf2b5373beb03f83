package starlarkbind

import (
	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// Synchronisation values (API.md "Synchronisation"): asyncio's Lock,
// Event, Semaphore, BoundedSemaphore and Queue, made by loop.Lock(),
// loop.Event(), ... The logic is the loop package's; what is a coroutine
// in asyncio (acquire, wait, put, get, join) returns a Future.

// lockValue is a loop.Lock.
type lockValue struct {
	e     *Env
	k     *loop.Lock
	bound bind.Bound
}

var _ starlark.HasAttrs = (*lockValue)(nil)

// lockMethods are asyncio.Lock's methods.
var lockMethods = bind.NewMethods("lock", map[string]bind.Method[*lockValue]{
	"acquire": {Fn0: func(v *lockValue) (starlark.Value, error) { return v.e.futureValue(v.k.Acquire()), nil }},
	"release": {Fn0: func(v *lockValue) (starlark.Value, error) { return noneOrFail(v.k.Release()) }},
	"locked":  {Fn0: func(v *lockValue) (starlark.Value, error) { return starlark.Bool(v.k.Locked()), nil }},
})

func (v *lockValue) String() string        { return v.k.String() }
func (v *lockValue) Type() string          { return "lock" }
func (v *lockValue) Freeze()               {}
func (v *lockValue) Truth() starlark.Bool  { return starlark.True }
func (v *lockValue) Hash() (uint32, error) { return identityHash(v.k), nil }
func (v *lockValue) AttrNames() []string   { return lockMethods.AttrNames(v) }

func (v *lockValue) Attr(name string) (starlark.Value, error) {
	return lockMethods.Attr(v, &v.bound, name)
}

// noneOrFail is a method's outcome: None, or a failure with err's class.
func noneOrFail(err error) (starlark.Value, error) {
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return starlark.None, nil
}

// eventValue is a loop.Event.
type eventValue struct {
	e     *Env
	ev    *loop.Event
	bound bind.Bound
}

var _ starlark.HasAttrs = (*eventValue)(nil)

// eventMethods are asyncio.Event's methods.
var eventMethods = bind.NewMethods("event", map[string]bind.Method[*eventValue]{
	"set":    {Fn0: func(v *eventValue) (starlark.Value, error) { v.ev.Set(); return starlark.None, nil }},
	"clear":  {Fn0: func(v *eventValue) (starlark.Value, error) { v.ev.Clear(); return starlark.None, nil }},
	"is_set": {Fn0: func(v *eventValue) (starlark.Value, error) { return starlark.Bool(v.ev.IsSet()), nil }},
	"wait":   {Fn0: func(v *eventValue) (starlark.Value, error) { return v.e.futureValue(v.ev.Wait()), nil }},
})

func (v *eventValue) String() string        { return v.ev.String() }
func (v *eventValue) Type() string          { return "event" }
func (v *eventValue) Freeze()               {}
func (v *eventValue) Truth() starlark.Bool  { return starlark.True }
func (v *eventValue) Hash() (uint32, error) { return identityHash(v.ev), nil }
func (v *eventValue) AttrNames() []string   { return eventMethods.AttrNames(v) }

func (v *eventValue) Attr(name string) (starlark.Value, error) {
	return eventMethods.Attr(v, &v.bound, name)
}

// semaphoreValue is a loop.Semaphore (bounded or not).
type semaphoreValue struct {
	e     *Env
	s     *loop.Semaphore
	bound bind.Bound
}

var _ starlark.HasAttrs = (*semaphoreValue)(nil)

// semaphoreMethods are asyncio.Semaphore's (and BoundedSemaphore's)
// methods.
var semaphoreMethods = bind.NewMethods("semaphore", map[string]bind.Method[*semaphoreValue]{
	"acquire": {Fn0: func(v *semaphoreValue) (starlark.Value, error) { return v.e.futureValue(v.s.Acquire()), nil }},
	"release": {Fn0: func(v *semaphoreValue) (starlark.Value, error) { return noneOrFail(v.s.Release()) }},
	"locked":  {Fn0: func(v *semaphoreValue) (starlark.Value, error) { return starlark.Bool(v.s.Locked()), nil }},
})

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
func (v *semaphoreValue) AttrNames() []string   { return semaphoreMethods.AttrNames(v) }

func (v *semaphoreValue) Attr(name string) (starlark.Value, error) {
	return semaphoreMethods.Attr(v, &v.bound, name)
}

// queueValue is a loop.Queue of Starlark values.
type queueValue struct {
	e     *Env
	q     *loop.Queue
	bound bind.Bound
}

var _ starlark.HasAttrs = (*queueValue)(nil)

// queueMethods are asyncio.Queue's methods, and its maxsize.
var queueMethods = bind.NewMethods("queue", map[string]bind.Method[*queueValue]{
	"maxsize":    {Get: func(v *queueValue) (starlark.Value, error) { return starlark.MakeInt(v.q.Maxsize()), nil }},
	"qsize":      {Fn0: func(v *queueValue) (starlark.Value, error) { return starlark.MakeInt(v.q.Qsize()), nil }},
	"empty":      {Fn0: func(v *queueValue) (starlark.Value, error) { return starlark.Bool(v.q.Empty()), nil }},
	"full":       {Fn0: func(v *queueValue) (starlark.Value, error) { return starlark.Bool(v.q.Full()), nil }},
	"put":        {Fn: (*queueValue).put},
	"put_nowait": {Fn: (*queueValue).putNowait},
	"get":        {Fn0: func(v *queueValue) (starlark.Value, error) { return v.e.futureValue(v.q.Get()), nil }},
	"get_nowait": {Fn0: (*queueValue).getNowait},
	"task_done":  {Fn0: func(v *queueValue) (starlark.Value, error) { return noneOrFail(v.q.TaskDone()) }},
	"join":       {Fn0: func(v *queueValue) (starlark.Value, error) { return v.e.futureValue(v.q.Join()), nil }},
	"shutdown":   {Fn: (*queueValue).shutdown},
})

func (v *queueValue) String() string {
	return v.q.Format(func(item any) string { return item.(starlark.Value).String() })
}

func (v *queueValue) Type() string          { return "queue" }
func (v *queueValue) Freeze()               {}
func (v *queueValue) Truth() starlark.Bool  { return starlark.True }
func (v *queueValue) Hash() (uint32, error) { return identityHash(v.q), nil }
func (v *queueValue) AttrNames() []string   { return queueMethods.AttrNames(v) }

func (v *queueValue) Attr(name string) (starlark.Value, error) {
	return queueMethods.Attr(v, &v.bound, name)
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
	return noneOrFail(v.q.PutNowait(item))
}

func (v *queueValue) getNowait() (starlark.Value, error) {
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

func (lv *loopValue) newLock() (starlark.Value, error) {
	return &lockValue{e: lv.e, k: lv.l().NewLock()}, nil
}

func (lv *loopValue) newEvent() (starlark.Value, error) {
	return &eventValue{e: lv.e, ev: lv.l().NewEvent()}, nil
}

func (lv *loopValue) newSemaphore(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.semaphore(fnname, args, kwargs, lv.l().NewSemaphore)
}

func (lv *loopValue) newBoundedSemaphore(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return lv.semaphore(fnname, args, kwargs, lv.l().NewBoundedSemaphore)
}

// semaphore reads Semaphore's value=1 and makes the semaphore with newSem.
func (lv *loopValue) semaphore(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, newSem func(int) (*loop.Semaphore, error)) (starlark.Value, error) {
	value := 1
	if err := unpack(fnname, args, kwargs, "value?", &value); err != nil {
		return nil, err
	}
	s, err := newSem(value)
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
