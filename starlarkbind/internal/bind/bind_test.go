package bind

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// counter is a value with one method of each kind.
type counter struct {
	n     int
	big   bool
	bound Bound
}

func (c *counter) String() string        { return "<counter>" }
func (c *counter) Type() string          { return "counter" }
func (c *counter) Freeze()               {}
func (c *counter) Truth() starlark.Bool  { return starlark.True }
func (c *counter) Hash() (uint32, error) { return 0, nil }

var counterMethods = NewMethods("counter", map[string]Method[*counter]{
	"add": {Fn: func(c *counter, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var n int
		if err := UnpackArgs(fnname, args, kwargs, "n", &n); err != nil {
			return nil, err
		}
		c.n += n
		return starlark.None, nil
	}},
	"reset": {Fn0: func(c *counter) (starlark.Value, error) { c.n = 0; return starlark.None, nil }},
	"value": {Get: func(c *counter) (starlark.Value, error) { return starlark.MakeInt(c.n), nil }},
	"huge":  {Get: func(c *counter) (starlark.Value, error) { return starlark.True, nil }, Has: func(c *counter) bool { return c.big }},
})

func call(t *testing.T, fn starlark.Value, args ...starlark.Value) error {
	t.Helper()
	_, err := starlark.Call(&starlark.Thread{}, fn, args, nil)
	return err
}

func TestMethodsTable(t *testing.T) {
	t.Parallel()
	c := &counter{}
	assert.Equal(t, []string{"add", "reset", "value"}, counterMethods.AttrNames(c))
	assert.Equal(t, []string{"add", "huge", "reset", "value"}, counterMethods.AttrNames(&counter{big: true}))

	add, err := counterMethods.Attr(c, &c.bound, "add")
	require.NoError(t, err)
	again, _ := counterMethods.Attr(c, &c.bound, "add")
	assert.Same(t, add, again, "a method is bound once per cache")
	assert.Equal(t, "<built-in method add of counter value>", add.String())
	require.NoError(t, call(t, add, starlark.MakeInt(3)))
	v, _ := counterMethods.Attr(c, nil, "value")
	assert.Equal(t, starlark.MakeInt(3), v)

	reset, _ := counterMethods.Attr(c, nil, "reset")
	assert.EqualError(t, call(t, reset, starlark.MakeInt(1)), "TypeError: counter.reset: got 1 arguments, want at most 0")
	assert.EqualError(t, call(t, add, starlark.String("x")), "TypeError: counter.add: for parameter n: got string, want int")

	_, err = counterMethods.Attr(c, nil, "huge")
	assert.EqualError(t, err, `AttributeError: counter has no attribute "huge"`)
	var missing starlark.NoSuchAttrError
	assert.ErrorAs(t, err, &missing, "getattr's default applies")
	assert.True(t, counterMethods.IsMethod("add"))
	assert.False(t, counterMethods.IsMethod("value"))
}

// TestBoundMethodAllocatesOnce: a value that keeps a Bound cache pays for
// a method once (not parallel: AllocsPerRun).
func TestBoundMethodAllocatesOnce(t *testing.T) {
	c := &counter{}
	_, _ = counterMethods.Attr(c, &c.bound, "add")
	allocs := testing.AllocsPerRun(100, func() { _, _ = counterMethods.Attr(c, &c.bound, "add") })
	assert.Zero(t, allocs)
}

func TestNewMethodsRefusesAmbiguousEntries(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() {
		NewMethods("x", map[string]Method[*counter]{"both": {
			Fn0: func(*counter) (starlark.Value, error) { return nil, nil },
			Get: func(*counter) (starlark.Value, error) { return nil, nil },
		}})
	})
}

func TestUnpackArgsKeepsTheClass(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		arg        starlark.Value
		kind, want string
	}{
		{starlark.MakeInt(70000), "ValueError", "f: for parameter port: 70000 out of range 0-65535"},
		{starlark.String("http"), "ValueError", `f: for parameter port: "http" is not a port number`},
		{starlark.Float(1.5), "TypeError", "f: for parameter port: got float, want int"},
	} {
		var p Port
		err := UnpackArgs("f", starlark.Tuple{c.arg}, nil, "port", &p)
		var le *loop.Error
		require.True(t, errors.As(err, &le), "%v", err)
		assert.Equal(t, c.kind, le.Kind)
		assert.Equal(t, c.want, le.Message)
	}
	var p Port
	assert.EqualError(t, UnpackArgs("f", nil, nil, "port", &p), "TypeError: f: missing argument for port")
	kw := []starlark.Tuple{{starlark.String("port"), starlark.MakeInt(-1)}}
	assert.EqualError(t, UnpackArgs("f", nil, kw, "port?", &p), "ValueError: f: for parameter port: -1 out of range 0-65535", "a keyword reads as a position does")
	var n int
	kw = []starlark.Tuple{{starlark.String("n"), starlark.String("x")}}
	assert.EqualError(t, UnpackArgs("f", nil, kw, "n??", &n), "TypeError: f: for parameter n: got string, want int")
	assert.EqualError(t, UnpackArg("f", "2", starlark.MakeInt(-1), &p), "ValueError: f: for parameter 2: -1 out of range 0-65535")
}

func TestUnpackers(t *testing.T) {
	t.Parallel()
	var s Seconds
	require.NoError(t, UnpackArg("f", "delay", starlark.Float(1.5), &s))
	assert.Equal(t, 1500*time.Millisecond, s.Duration())
	require.NoError(t, UnpackArg("f", "delay", starlark.Float(1e300), &s))
	assert.Greater(t, s.Duration(), time.Duration(0), "clamped, not overflowed")
	assert.EqualError(t, UnpackArg("f", "delay", starlark.Float(math.NaN()), &s), "ValueError: f: for parameter delay: got nan")

	var os OptionalSeconds
	require.NoError(t, UnpackArg("f", "timeout", starlark.None, &os))
	assert.False(t, os.Set)

	var oi OptionalInt
	require.NoError(t, UnpackArg("f", "high", starlark.None, &oi))
	assert.Nil(t, oi.Ptr())
	big := starlark.MakeInt(1).Lsh(100)
	require.NoError(t, UnpackArg("f", "high", big, &oi))
	assert.Greater(t, *oi.Ptr(), 1<<62, "saturates")

	var hp HostPort
	assert.EqualError(t, UnpackArg("f", "addr", starlark.Tuple{starlark.MakeInt(1), starlark.MakeInt(2)}, &hp), "TypeError: f: for parameter addr: host is int, want string")
	assert.EqualError(t, UnpackArg("f", "addr", starlark.Tuple{starlark.String("h"), starlark.MakeInt(70000)}, &hp), "ValueError: f: for parameter addr: port 70000 out of range 0-65535")
	var sa SockAddr
	require.NoError(t, UnpackArg("f", "addr", starlark.String("/tmp/s"), &sa))
	assert.True(t, sa.Path && sa.Set)
	require.NoError(t, UnpackArg("f", "addr", starlark.Tuple{starlark.String("h"), starlark.MakeInt(1)}, &sa))
	assert.False(t, sa.Path)
	assert.Equal(t, "h", sa.Host)
}
