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

// waitArgs are what loop.wait and loop.as_completed take: fs (a list,
// tuple or set of futures or tasks) and timeout (seconds or None).
type waitArgs struct {
	fs      futuresArg
	timeout bind.OptionalSeconds
}

// futuresArg unpacks an iterable that should hold futures; its elements
// are unpacked after (waitArgs.futures), so that a bad one is named by
// its position.
type futuresArg struct{ it starlark.Iterable }

func (a *futuresArg) Unpack(v starlark.Value) error {
	it, ok := v.(starlark.Iterable)
	if !ok {
		return bind.Want(v, "a list, tuple or set of futures")
	}
	a.it = it
	return nil
}

// futures returns the Go futures of a.fs, and the first value that held
// each (so that (done, pending) hold the script's own values).
func (a *waitArgs) futures(fnname string) ([]*loop.Future, map[*loop.Future]starlark.Value, error) {
	it := a.fs.it.Iterate()
	defer it.Done()
	var fs []*loop.Future
	byFuture := make(map[*loop.Future]starlark.Value)
	var x starlark.Value
	for i := 0; it.Next(&x); i++ {
		var fa futureArg
		if err := bind.UnpackElement(fnname, "fs", i, x, &fa); err != nil {
			return nil, nil, err
		}
		if _, seen := byFuture[fa.f]; !seen {
			byFuture[fa.f] = x
		}
		fs = append(fs, fa.f)
	}
	return fs, byFuture, nil
}

// duration is the timeout for loop.Wait and loop.AsCompleted: NoTimeout
// for None; a negative one is 0, as asyncio's call_later makes it.
func (a *waitArgs) duration() time.Duration {
	if !a.timeout.Set {
		return loop.NoTimeout
	}
	return max(a.timeout.Duration(), 0)
}

// returnWhenArg unpacks return_when: one of the loop's three constants.
type returnWhenArg struct{ rw loop.ReturnWhen }

func (a *returnWhenArg) Unpack(v starlark.Value) error {
	if s, ok := v.(starlark.String); ok {
		for _, rw := range []loop.ReturnWhen{loop.AllCompleted, loop.FirstCompleted, loop.FirstException} {
			if string(s) == rw.String() {
				a.rw = rw
				return nil
			}
		}
		return bind.Invalid("Invalid return_when value: " + string(s))
	}
	return bind.Invalid("Invalid return_when value: " + v.String())
}

func (lv *loopValue) wait(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var a waitArgs
	var rw returnWhenArg
	if err := unpack(fnname, args, kwargs, "fs", &a.fs, "timeout?", &a.timeout, "return_when?", &rw); err != nil {
		return nil, err
	}
	fs, byFuture, err := a.futures(fnname)
	if err != nil {
		return nil, err
	}
	inner, err := lv.l().Wait(fs, rw.rw, a.duration())
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
	var a waitArgs
	if err := unpack(fnname, args, kwargs, "fs", &a.fs, "timeout?", &a.timeout); err != nil {
		return nil, err
	}
	fs, _, err := a.futures(fnname)
	if err != nil {
		return nil, err
	}
	outs, err := lv.l().AsCompleted(fs, a.duration())
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	list := make([]starlark.Value, len(outs))
	for i, f := range outs {
		list[i] = lv.e.futureValue(f)
	}
	return starlark.NewList(list), nil
}
