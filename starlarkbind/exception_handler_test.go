package starlarkbind

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestExceptionHandlerContext checks the context a script's exception
// handler gets for a failing data_received, call_exception_handler's
// defaults, and default_exception_handler forwarding with the traceback.
func TestExceptionHandlerContext(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.exec(`
seen = []
first_seen = loop.create_future()
def handler(lp, ctx):
    seen.append(ctx)
    if not first_seen.done():
        first_seen.set_result(None)
    if ctx["message"] == "forward":
        lp.default_exception_handler(ctx)
loop.set_exception_handler(handler)
assert.eq(loop.get_exception_handler(), handler)
def made(self, t):
    self.t = t
    t.write(b"hi")
def data(self, d):
    fail("bad data")
S = protocol("S", connection_made = made, data_received = data, connection_lost = lambda self, exc: srv.close())
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]
client_lost = []
C = protocol("C", connection_made = made, data_received = lambda self, d: None,
             connection_lost = lambda self, exc: client_lost.append(exc))
ct, cp = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
loop.run_until_complete(first_seen)   # the server's data_received failed
ctx = seen[0]
assert.eq(sorted(ctx.keys()), ["exception", "message", "protocol", "transport"])
assert.true(ctx["message"].startswith("Fatal error: S.data_received() failed (peer 127.0.0.1:"))
assert.eq(ctx["exception"].kind, "ScriptError")
assert.true("bad data" in ctx["exception"].message)
assert.eq(type(ctx["protocol"]), "S")
assert.eq(ctx["protocol"].t, ctx["transport"])
loop.call_exception_handler({"message": "custom", "extra": 1})
assert.eq(seen[1], {"message": "custom", "exception": None, "transport": None, "protocol": None, "extra": 1})
loop.call_exception_handler({"message": "forward", "exception": ctx["exception"]})
ct.close()
`)
	te.run()
	report := te.stderr.String()
	assert.Contains(t, report, "forward", "the default handler's output")
	assert.Contains(t, report, "test.star:", "the default handler's output lacks the forwarded traceback")
	assert.Contains(t, report, "in data", "the default handler's output lacks the forwarded traceback")
}
