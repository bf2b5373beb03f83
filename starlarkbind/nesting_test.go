package starlarkbind

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestJSONDepthExceeds: only brackets outside strings count, escaped quotes
// do not end a string, and the limit is inclusive.
func TestJSONDepthExceeds(t *testing.T) {
	cases := []struct {
		doc   string
		limit int
		want  bool
	}{
		{`[]`, 1, false},
		{`[[]]`, 1, true},
		{`{"a": [1, {"b": 2}]}`, 3, false},
		{`{"a": [1, {"b": 2}]}`, 2, true},
		{`["[[[[[[", "{{{{"]`, 1, false},
		{`["\"[[[["]`, 1, false},
		{`["\\", [[]]]`, 2, true},
		{`]]]]][[`, 2, false}, // invalid, but no deeper than 2
		{strings.Repeat("[", 4<<20), MaxNesting, true},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, jsonDepthExceeds(c.doc, c.limit), "jsonDepthExceeds(%.40q, %d)", c.doc, c.limit)
	}
}

// deepList returns a list nested n levels deep: [[[...]]].
func deepList(n int) starlark.Value {
	v := starlark.NewList(nil)
	for i := 1; i < n; i++ {
		v = starlark.NewList([]starlark.Value{v})
	}
	return v
}

// TestValueDepthExceeds: the depth of every kind of container counts, a
// list that contains itself is walked once, and scalars cost nothing.
func TestValueDepthExceeds(t *testing.T) {
	assert.False(t, valueDepthExceeds(starlark.MakeInt(1), 0))
	assert.False(t, valueDepthExceeds(deepList(10), 10))
	assert.True(t, valueDepthExceeds(deepList(11), 10))

	self := starlark.NewList(nil)
	require.NoError(t, self.Append(self))
	require.NoError(t, self.Append(starlark.NewList([]starlark.Value{self})))
	assert.False(t, valueDepthExceeds(self, 3))

	d := starlark.NewDict(1)
	require.NoError(t, d.SetKey(starlark.String("k"), starlark.Tuple{deepList(5)}))
	assert.False(t, valueDepthExceeds(d, 7))
	assert.True(t, valueDepthExceeds(d, 6))
}

// TestNestingLimitsInScripts: json.decode, json.encode, str, repr and print
// fail with a clear error on values nested past MaxNesting (which would
// otherwise overflow the Go stack and kill the process), and accept values
// at the limit.
func TestNestingLimitsInScripts(t *testing.T) {
	te := newTestEnv(t, Options{})
	te.exec(`
N = 10000
ok = json.decode("[" * N + "]" * N)
assert.eq(len(json.encode(ok)), 2 * N)
assert.eq(len(str(ok)), 2 * N)

bomb = "[" * (4 * 1024 * 1024)
assert.fails(lambda: json.decode(bomb), "document nested more than 10000 levels deep")
assert.fails(lambda: json.decode("[" * (N + 1) + "]" * (N + 1)), "document nested more than 10000 levels deep")

deep = []
for i in range(N + 1):
    deep = [deep]
assert.fails(lambda: str(deep), "value nested more than 10000 levels deep")
assert.fails(lambda: repr(deep), "value nested more than 10000 levels deep")
assert.fails(lambda: print(deep), "value nested more than 10000 levels deep")
assert.fails(lambda: print(sep = "", end = deep), "value nested more than 10000 levels deep")
assert.fails(lambda: json.encode(deep), "value nested more than 10000 levels deep")
assert.fails(lambda: json.encode_indent({"a": deep}), "value nested more than 10000 levels deep")
assert.fails(lambda: deep == deep[0], "comparison exceeded maximum recursion depth")

# ordinary values keep working through the guarded builtins
assert.eq(str(b"ab"), "ab")
assert.eq(repr("x"), '"x"')
assert.eq(json.decode('{"a": [1, 2]}', None), {"a": [1, 2]})
assert.eq(json.decode("nope", default = 7), 7)
`)
}

// jsonServer decodes each connection's input as one JSON document at EOF
// and answers with its length; it closes the server after two connections.
const jsonServer = `
lost = []
def connection_made(self, transport):
    self.transport = transport
    self.buf = []
def data_received(self, data):
    self.buf.append(str(data))
    if data[-1:] == b"\n":
        self.transport.write(bytes("%d\n" % len(json.decode("".join(self.buf)))))
        self.buf = []
def connection_lost(self, exc):
    lost.append(None if exc == None else exc.kind)
    if len(lost) == 2:
        srv.close()
J = protocol("J", connection_made = connection_made, data_received = data_received, connection_lost = connection_lost)
srv = loop.run_until_complete(loop.create_server(J, "127.0.0.1", 0))
`

// TestJSONBombClosesOnlyItsConnection: a peer that sends 4 MiB of "[" to a
// server that json-decodes its input gets its own connection closed; a
// bystander connection opened before the bomb is still served after it.
func TestJSONBombClosesOnlyItsConnection(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(jsonServer)
	port := te.serverPort(g, "srv")
	addr := net.JoinHostPort("127.0.0.1", itoa(port))

	done := make(chan error, 1)
	go func() { done <- jsonBombClients(addr) }()
	te.run()
	select {
	case err := <-done:
		require.NoError(t, err, "stderr:\n%s", te.stderr.String())
	case <-time.After(runTimeout):
		t.Fatal("clients still running")
	}
	assert.Contains(t, te.stderr.String(), "Error in json.decode: document nested more than 10000 levels deep", "the failure is reported")
	lost := te.global(g, "lost").(*starlark.List)
	require.Equal(t, 2, lost.Len())
	assert.Equal(t, `["ScriptError", None]`, lost.String(), "the bomb's connection fails, the bystander closes cleanly")
}

// jsonBombClients opens a bystander connection, sends the bomb on another,
// waits for the server to close the bomb's connection, then checks that the
// bystander is still answered.
func jsonBombClients(addr string) error {
	deadline := time.Now().Add(runTimeout)
	bystander, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer bystander.Close()
	_ = bystander.SetDeadline(deadline)
	bomb, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer bomb.Close()
	_ = bomb.SetDeadline(deadline)
	go func() { _, _ = bomb.Write([]byte(strings.Repeat("[", 4<<20) + "\n")) }()
	if _, err := io.Copy(io.Discard, bomb); err != nil && !isReset(err) {
		return err
	}
	if _, err := bystander.Write([]byte(`{"still": "here"}` + "\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(bystander).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "1\n" {
		return &net.AddrError{Err: "bystander got " + line, Addr: addr}
	}
	return nil
}

// isReset reports whether err is a connection reset (the server closed the
// bomb's connection with unread input).
func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}
