package runtime

import (
	"slices"
	"testing"

	"github.com/starnet-dev/starnet/starlarkbind/lib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkMessages runs Check and returns its errors as strings.
func checkMessages(t *testing.T, src string, extra ...string) []string {
	t.Helper()
	var out []string
	for _, err := range Check("t.star", []byte(src), extra...) {
		out = append(out, err.Error())
	}
	return out
}

// TestCheckAcceptsGoodScript: Check finds nothing wrong in a script that
// uses protocols, the predeclared modules, a name the host declares, and
// the loop.
func TestCheckAcceptsGoodScript(t *testing.T) {
	t.Parallel()
	src := `
def connection_made(self, transport):
    self.transport = transport

def data_received(self, data, *rest):
    self.transport.write(data)

def eof_received(self, extra = None):
    return True

def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)

n = 0
while n < 3:
    n += 1
n = fact(n)
s = set([1, 2])
if n > 1:
    print(len(s))

Echo = protocol("Echo", connection_made = connection_made, data_received = data_received,
                eof_received = eof_received, connection_lost = lambda self, exc: None,
                helper = lambda self, a, b, c: None, init = lambda self, x, y: None)
def main(argv):
    srv = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
    print(json.encode(argv), time.now(), math.pi, host_value)
`
	require.Empty(t, checkMessages(t, src, "host_value"), "Check found problems in a good script")
}

// TestCheckReportsWrongArity: a protocol callback whose parameters do not
// fit the call the loop makes is reported at its keyword argument, naming
// the function and where it is defined.
func TestCheckReportsWrongArity(t *testing.T) {
	t.Parallel()
	src := `def on_data(self):
    pass

def made(self, transport, extra):
    pass

P = protocol("P",
    data_received = on_data,
    connection_made = made,
    datagram_received = lambda self, data: None,
    pause_writing = lambda self, *, now: None)
`
	want := []string{
		"t.star:8:5: protocol P: the loop calls data_received(self, data) with 2 arguments, but on_data (t.star:1:5) takes 1",
		"t.star:9:5: protocol P: the loop calls connection_made(self, transport) with 2 arguments, but made (t.star:4:5) takes 3",
		"t.star:10:5: protocol P: the loop calls datagram_received(self, data, addr) with 3 arguments, but lambda (t.star:10:25) takes 2",
		`t.star:11:5: protocol P: the loop calls pause_writing(self), but lambda (t.star:11:21) requires keyword-only parameter "now"`,
	}
	require.Equal(t, want, checkMessages(t, src))
}

// TestCheckReportsTypoedCallback: an unknown callback name is reported
// with the closest known one.
func TestCheckReportsTypoedCallback(t *testing.T) {
	t.Parallel()
	src := `P = protocol("P", data_recieved = lambda self, data: None, on_line = lambda self, l: None)`
	want := `t.star:1:19: protocol P: unknown callback "data_recieved"; did you mean "data_received"?`
	require.Equal(t, []string{want}, checkMessages(t, src))
}

// TestCheckSkipsAmbiguousBindings: a callback bound to a name that is
// bound twice is not checked.
func TestCheckSkipsAmbiguousBindings(t *testing.T) {
	t.Parallel()
	src := `def cb(self):
    pass
cb = lambda self, data: None
P = protocol("P", data_received = cb)
`
	require.Empty(t, checkMessages(t, src), "a name bound twice must not be checked")
}

// TestCheckReportsResolveAndSyntaxErrors: every undefined name is reported
// with its position, and a syntax error as one error at its line.
func TestCheckReportsResolveAndSyntaxErrors(t *testing.T) {
	t.Parallel()
	want := []string{"t.star:1:5: undefined: undefined_name", "t.star:2:5: undefined: other"}
	require.Equal(t, want, checkMessages(t, "x = undefined_name + 1\ny = other\n"))
	errs := checkMessages(t, "def f(:\n")
	require.Len(t, errs, 1, "syntax error: %q", errs)
	require.Regexp(t, `^t\.star:1:`, errs[0], "syntax error")
}

// TestCheckKnowsEveryPredeclaredName: Check's list of predeclared names
// (the library's included) is exactly what a runtime's environment
// predeclares.
func TestCheckKnowsEveryPredeclaredName(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{})
	var actual []string
	c := rt.copies[0]
	err := c.do(func() error {
		for name := range c.env.Predeclared() {
			actual = append(actual, name)
		}
		return nil
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, slices.Concat(predeclaredNames, lib.Names), actual, "Check's names (listA) against the env's (listB)")
}
