package loop

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// name is a fmt.Stringer for a Source's Callback.
type name string

func (n name) String() string { return string(n) }

// scriptSource is the Source a script's call_soon would record.
func scriptSource(callback string) *Source {
	return &Source{
		Callback: name(callback),
		Stack: Traceback{
			{Func: "<toplevel>", File: "main.star", Line: 20, Col: 1},
			{Func: "main", File: "main.star", Line: 12, Col: 19},
		},
	}
}

// tick spins until the clock has moved, so that a callback doing it takes
// more than the 1 ns slow-callback threshold whatever the machine's speed.
func tick() {
	for t0 := time.Now(); !time.Now().After(t0); {
	}
}

// TestSourceNamesSlowCallback: in debug mode a handle with a Source is
// reported as slow under the callback name and creation site it gives, and
// the loop forgets the source once the handle ran.
func TestSourceNamesSlowCallback(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	l.SetDebug(true)
	l.SetSlowCallbackDuration(time.Nanosecond)
	h := l.CallSoon(tick)
	h.SetSource(scriptSource("busy() at main.star:3"))
	assert.Equal(t, "<Handle busy() at main.star:3 created at main.star:12>", h.String())
	mustRun(t, l)
	out := stderr.String()
	assert.Regexp(t, `^Executing <Handle busy\(\) at main\.star:3 created at main\.star:12> took \d+\.\d{3} seconds\n`, out)
	assert.Nil(t, h.Source(), "the source outlived the run")
	assert.Empty(t, l.sources, "sources left after the run")
}

// TestSourceForgotten: cancelling a handle, or turning debug mode off,
// forgets the sources recorded; a timer handle's repr keeps its deadline.
func TestSourceForgotten(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	l.SetDebug(true)
	timer := l.CallLater(time.Hour, func() {})
	timer.SetSource(scriptSource("later() at main.star:5"))
	require.Regexp(t, `^<TimerHandle when=\S+ later\(\) at main\.star:5 created at main\.star:12>$`, timer.String())
	timer.Cancel()
	assert.Nil(t, timer.Source(), "a cancelled handle kept its source")
	assert.Regexp(t, `^<TimerHandle when=\S+ cancelled>$`, timer.String())

	h := l.CallSoon(func() {})
	h.SetSource(scriptSource("soon() at main.star:7"))
	l.SetDebug(false)
	assert.Nil(t, h.Source(), "turning debug off kept the source")
	mustRun(t, l)
}

// TestSourceOfUnretrievedFuture: a future with a Source says where it was
// made in its repr, and "Future exception was never retrieved" carries the
// stack as asyncio's source_traceback.
func TestSourceOfUnretrievedFuture(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	f := l.NewFuture()
	f.SetSource(scriptSource(""))
	assert.Equal(t, "<Future pending created at main.star:12>", f.String())
	f.LogUnretrieved()
	require.NoError(t, f.SetException(errors.New("nobody looks")))
	require.Equal(t, 1, l.ReportUnretrieved())
	assert.Equal(t, `Future exception was never retrieved
nobody looks
future: <Future finished exception=nobody looks created at main.star:12>
source_traceback: Object created at (most recent call last):
  main.star:20:1: in <toplevel>
  main.star:12:19: in main
`, stderr.String())
}

// TestDoneCallbackSource: a done callback added with a Source is reported
// under it when it is slow, whether the future was pending or done; a
// removed one leaves nothing behind.
func TestDoneCallbackSource(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	l.SetDebug(true)
	l.SetSlowCallbackDuration(time.Nanosecond)
	pending := l.NewFuture()
	pending.AddDoneCallbackSource(func(*Future) { tick() }, scriptSource("on_done(<Future>) at main.star:9"))
	token := pending.addDoneCallback(func(*Future) {})
	pending.removeDoneCallback(token)
	require.NoError(t, pending.SetResult(1))
	done := l.NewFuture()
	require.NoError(t, done.SetResult(2))
	done.AddDoneCallbackSource(func(*Future) { tick() }, scriptSource("late(<Future>) at main.star:10"))
	mustRun(t, l)
	out := stderr.String()
	assert.Contains(t, out, "Executing <Handle on_done(<Future>) at main.star:9 created at main.star:12> took ")
	assert.Contains(t, out, "Executing <Handle late(<Future>) at main.star:10 created at main.star:12> took ")
	assert.Empty(t, l.doneSources, "done-callback sources left")
	assert.Empty(t, l.sources, "handle sources left")
}

// goProto is a Go value without a String method, as a host's protocol.
type goProto struct {
	conn any
}

// stringer has a String method on a pointer receiver.
type stringer struct{}

func (*stringer) String() string { return "<mine>" }

// TestDescribe: reports show Go values by their String or Error, basic
// values as fmt does, and anything else by its type, never a field dump.
func TestDescribe(t *testing.T) {
	t.Parallel()
	var nilStringer *stringer
	cases := []struct {
		v    any
		kind string
		want string
	}{
		{&goProto{conn: 1}, "protocol", "<Go protocol *loop.goProto>"},
		{goProto{}, "transport", "<Go transport loop.goProto>"},
		{map[string]int{"a": 1}, "value", "<Go value map[string]int>"},
		{&stringer{}, "protocol", "<mine>"},
		{nilStringer, "protocol", "<mine>"},
		{errors.New("boom"), "value", "boom"},
		{"text", "value", "text"},
		{42, "value", "42"},
		{[]byte("ab"), "value", `"ab"`},
		{[]any{1, &goProto{}}, "value", "[1, <Go value *loop.goProto>]"},
		{nil, "value", "None"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Describe(c.v, c.kind), "Describe(%#v, %q)", c.v, c.kind)
	}
}

// TestDefaultHandlerShowsGoProtocols: the default exception handler shows
// a Go protocol and transport without a String method by their type.
func TestDefaultHandlerShowsGoProtocols(t *testing.T) {
	t.Parallel()
	l, stderr := newTestLoop(t)
	l.CallExceptionHandler(ErrorContext{
		Message:   "Fatal error on transport",
		Err:       errors.New("boom"),
		Transport: goProto{},
		Protocol:  &goProto{conn: &goProto{}},
		Extra:     map[string]any{"socket": &goProto{}},
	})
	assert.Equal(t, `Fatal error on transport
boom
transport: <Go transport loop.goProto>
protocol: <Go protocol *loop.goProto>
socket: <Go value *loop.goProto>
`, stderr.String())
}

// TestSourceRepr: a Source's Repr replaces a future's own description.
func TestSourceRepr(t *testing.T) {
	t.Parallel()
	l, _ := newTestLoop(t)
	f := l.NewFuture()
	f.SetSource(&Source{Repr: name(`<Task pending name="Task-1">`)})
	assert.Equal(t, `<Task pending name="Task-1">`, f.String())
}
