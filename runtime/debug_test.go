package runtime

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestDebugSlowReportsNameScriptCallbacks: debug mode's slow-callback
// reports name a script's done callback and task step by the Starlark
// function and where the script scheduled it, not by the Go closure that
// runs it. The threshold is 1 ms and nap sleeps 2 ms, so the reports do not
// depend on the machine's speed.
func TestDebugSlowReportsNameScriptCallbacks(t *testing.T) {
	t.Parallel()
	rt, _, stderr := newTestRuntime(t, Config{Debug: true, SlowCallbackDuration: time.Millisecond})
	nap := starlark.NewBuiltin("nap", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		time.Sleep(2 * time.Millisecond)
		return starlark.None, nil
	})
	require.NoError(t, rt.Predeclare("nap", nap))
	mustExec(t, rt, "slow.star", `def on_done(fut):
    nap()
def work():
    nap()
f = loop.create_future()
f.add_done_callback(on_done)
f.set_result(1)
loop.create_task(work, name = "worker")
`)
	require.NoError(t, runBounded(t, rt))
	out := stderr.String()
	for _, want := range []string{
		`(?m)^Executing <Handle on_done\(<Future finished result=1 created at \.\.\.\) at slow\.star:1 created at slow\.star:6> took \d+\.\d{3} seconds$`,
		`(?m)^Executing <Handle task worker: work\(\) at slow\.star:3 created at slow\.star:8> took \d+\.\d{3} seconds$`,
	} {
		assert.Regexp(t, regexp.MustCompile(want), out)
	}
	assert.NotContains(t, out, "starlarkbind", "a report names starnet's Go source")
}

// crasher is a Go protocol without a String method that fails on the
// first data it receives.
type crasher struct {
	transports.StreamBase
	seen []byte
}

func (c *crasher) DataReceived(data []byte) { panic("crasher got " + string(data)) }

// TestReportsShowGoProtocolsByType: a report about a Go protocol without a
// String method shows it as "<Go protocol *runtime.crasher>", whether the
// host serves it (rt.Listen) or a script does (a GoFactory given to
// loop.create_server) — never as a dump of its fields.
func TestReportsShowGoProtocolsByType(t *testing.T) {
	t.Parallel()
	rt, stdout, stderr := newTestRuntime(t, Config{Permissions: AllowAll()})
	factory := func() (transports.BaseProtocol, error) { return &crasher{seen: []byte("x")}, nil }
	require.NoError(t, rt.Predeclare("go_crasher", GoFactory(factory)))
	mustExec(t, rt, "serve.star", `
server = loop.run_until_complete(loop.create_server(go_crasher, "127.0.0.1", 0))
print("port", server.sockets[0].getsockname()[1])
`)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- rt.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-ran)
	}()
	stdout.WaitFor(t, "\n", testTimeout)
	scriptAddr := "127.0.0.1:" + strings.TrimSpace(strings.TrimPrefix(stdout.String(), "port "))
	for i, addr := range []string{ln.Addr().String(), scriptAddr} {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		_, err = conn.Write([]byte(fmt.Sprint("boom", i)))
		require.NoError(t, err)
		_, _ = io.ReadAll(conn) // the failed callback closes the connection
		conn.Close()
		stderr.WaitFor(t, fmt.Sprint("crasher got boom", i), testTimeout)
		require.Equal(t, i+1, strings.Count(stderr.String(), "protocol: <Go protocol *runtime.crasher>\n"), "stderr:\n%s", stderr)
	}
	for i := range 2 {
		assert.Regexp(t, fmt.Sprintf("(?m)^Fatal error: protocol\\.data_received\\(\\) call failed\\.\n"+
			"RuntimeError: panic in protocol\\.data_received\\(\\): crasher got boom%d\n"+
			"transport: <socket transport fd=\\d+ read=polling write=<idle, bufsize=0>>\n"+
			"protocol: <Go protocol \\*runtime\\.crasher>$", i), stderr.String())
	}
	assert.NotContains(t, stderr.String(), "&{", "a struct dump in a report")
}
