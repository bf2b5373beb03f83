package starlarkbind

import (
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// loop.wait and loop.as_completed (API.md "Waiting for several futures"),
// on loop.Wait and loop.AsCompleted.

// loopConstants are the loop's attributes that are not methods: asyncio's
// return_when values, which are strings there too.
var loopConstants = map[string]starlark.Value{
	"ALL_COMPLETED":   starlark.String(loop.AllCompleted.String()),
	"FIRST_COMPLETED": starlark.String(loop.FirstCompleted.String()),
	"FIRST_EXCEPTION": starlark.String(loop.FirstException.String()),
}

// futureHolder is a Starlark value that stands for a Go future (a future
// or a task).
type futureHolder interface {
	starlark.Value
	Future() *loop.Future
}

// futureList reads an iterable of futures. byFuture maps each Go future
// back to the first value that held it.
func futureList(fnname, param string, v starlark.Value) ([]*loop.Future, map[*loop.Future]starlark.Value, error) {
	iterable, ok := v.(starlark.Iterable)
	if !ok {
		return nil, nil, typeErrorf("%s: for parameter %s: got %s, want a list, tuple or set of futures", fnname, param, v.Type())
	}
	it := iterable.Iterate()
	defer it.Done()
	var fs []*loop.Future
	byFuture := make(map[*loop.Future]starlark.Value)
	var x starlark.Value
	for it.Next(&x) {
		fh, ok := x.(futureHolder)
		if !ok {
			return nil, nil, typeErrorf("%s: for parameter %s: got %s in the %s, want future", fnname, param, x.Type(), v.Type())
		}
		f := fh.Future()
		if _, seen := byFuture[f]; !seen {
			byFuture[f] = x
		}
		fs = append(fs, f)
	}
	return fs, byFuture, nil
}

// waitTimeout reads a timeout that may be None (loop.NoTimeout); a
// negative one is 0, as asyncio's call_later makes it.
func waitTimeout(fnname string, v starlark.Value) (time.Duration, error) {
	if v == nil || v == starlark.None {
		return loop.NoTimeout, nil
	}
	var d bind.Seconds
	if err := bind.UnpackArg(fnname, "timeout", v, &d); err != nil {
		return 0, err
	}
	return max(d.Duration(), 0), nil
}

// returnWhenArg reads return_when: one of the loop's three constants.
func returnWhenArg(fnname string, v starlark.Value) (loop.ReturnWhen, error) {
	if v == nil {
		return loop.AllCompleted, nil
	}
	s, ok := v.(starlark.String)
	if !ok {
		return 0, valueErrorf("%s: Invalid return_when value: %s", fnname, v)
	}
	for _, rw := range []loop.ReturnWhen{loop.AllCompleted, loop.FirstCompleted, loop.FirstException} {
		if string(s) == rw.String() {
			return rw, nil
		}
	}
	return 0, valueErrorf("%s: Invalid return_when value: %s", fnname, string(s))
}

func (lv *loopValue) wait(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fsV, timeoutV, returnWhenV starlark.Value
	if err := unpack(fnname, args, kwargs, "fs", &fsV, "timeout?", &timeoutV, "return_when?", &returnWhenV); err != nil {
		return nil, err
	}
	fs, byFuture, err := futureList(fnname, "fs", fsV)
	if err != nil {
		return nil, err
	}
	timeout, err := waitTimeout(fnname, timeoutV)
	if err != nil {
		return nil, err
	}
	rw, err := returnWhenArg(fnname, returnWhenV)
	if err != nil {
		return nil, err
	}
	inner, err := lv.l().Wait(fs, rw, timeout)
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	// The (done, pending) sets hold the values the script passed.
	out := lv.l().NewFuture()
	inner.AddDoneCallback(func(inner *loop.Future) {
		v, err := inner.Result()
		res, ok := v.(*loop.WaitResult)
		if err != nil || !ok {
			copyOutcome(out, inner)
			return
		}
		_ = out.SetResult(starlark.Tuple{valueSet(res.Done, byFuture), valueSet(res.Pending, byFuture)})
	})
	out.AddDoneCallback(func(out *loop.Future) {
		if out.Cancelled() {
			inner.Cancel()
		}
	})
	return lv.e.futureValue(out), nil
}

// valueSet is the set of the values that stand for fs.
func valueSet(fs []*loop.Future, byFuture map[*loop.Future]starlark.Value) *starlark.Set {
	s := starlark.NewSet(len(fs))
	for _, f := range fs {
		_ = s.Insert(byFuture[f]) // futures and tasks hash by identity
	}
	return s
}

func (lv *loopValue) asCompleted(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fsV, timeoutV starlark.Value
	if err := unpack(fnname, args, kwargs, "fs", &fsV, "timeout?", &timeoutV); err != nil {
		return nil, err
	}
	fs, _, err := futureList(fnname, "fs", fsV)
	if err != nil {
		return nil, err
	}
	timeout, err := waitTimeout(fnname, timeoutV)
	if err != nil {
		return nil, err
	}
	outs, err := lv.l().AsCompleted(fs, timeout)
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	list := make([]starlark.Value, len(outs))
	for i, f := range outs {
		list[i] = lv.e.futureValue(f)
	}
	return starlark.NewList(list), nil
}
