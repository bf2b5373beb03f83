package starlarkbind

import (
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// pyLineServer answers each line "x" with "got x", for three clients at
// once, then exits.
const pyLineServer = `
import socket, threading
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)
def serve(c):
    f = c.makefile("rwb")
    for line in f:
        f.write(b"got " + line)
        f.flush()
    c.close()
ts = []
for i in range(3):
    c, _ = srv.accept()
    t = threading.Thread(target=serve, args=(c,))
    t.start()
    ts.append(t)
for t in ts:
    t.join()
print("ok", flush=True)
`

// taskClient is a request/response client written top to bottom: each
// task connects, sends a line, waits for the reply, sends another.
const taskClient = `
def on_data(self, data):
    self.buf += str(data)
    if self.waiter != None and "\n" in self.buf:
        line, _, self.buf = self.buf.partition("\n")
        w, self.waiter = self.waiter, None
        w.set_result(line)
def on_made(self, transport):
    self.buf, self.waiter = "", None
Lines = protocol("Lines", connection_made = on_made, data_received = on_data)

def readline(proto):
    proto.waiter = loop.create_future()
    return wait(proto.waiter)

def client(name):
    transport, proto = wait(loop.create_connection(Lines, "127.0.0.1", port))
    out = []
    for i in range(3):
        transport.write(bytes("%s-%d\n" % (name, i)))
        out.append(readline(proto))
    transport.close()
    return out

def main():
    tasks = [loop.create_task(client, n) for n in ("a", "b", "c")]
    return wait(loop.gather(*tasks))
result = main()
`

// TestTasksAgainstPythonServer: three tasks talk to a python3 server at
// once, each reading top to bottom.
func TestTasksAgainstPythonServer(t *testing.T) {
	t.Parallel()
	py := testkit.StartPython(t, pyLineServer)
	port := strings.TrimSpace(py.WaitLine(""))
	te := newTaskEnv(t, Options{Permissions: allowLocal})
	n, err := strconv.Atoi(port)
	require.NoError(t, err, "port line")
	te.e.Predeclare("port", starlark.MakeInt(n))
	g := te.exec(taskClient)
	te.run()
	assert.Equal(t, `[["got a-0", "got a-1", "got a-2"], ["got b-0", "got b-1", "got b-2"], ["got c-0", "got c-1", "got c-2"]]`,
		g["result"].String())
	require.Equal(t, port+"\nok", waitPython(t, py))
	assert.Empty(t, te.stderr.String())
}

// TestTranslationTable runs the examples of API.md's asyncio translation
// table.
func TestTranslationTable(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	g := te.exec(`
rows = []
def f(x):
    wait(loop.sleep(0))
    return x * 2
def main_like():
    # await asyncio.sleep(0): wait(loop.sleep(0))
    wait(loop.sleep(0))
    # create_task with a name, await task
    t = loop.create_task(f, 21, name = "n")
    rows.append((t.get_name(), wait(t)))
    # try/except around an await
    v, err = catch(wait, loop.wait_for(loop.create_future(), 0.001))
    rows.append((v, err.kind))
    # wait_for, gather
    rows.append(wait(loop.wait_for(loop.sleep(0, "in time"), 5)))
    rows.append(wait(loop.gather(loop.create_task(f, 1), loop.create_task(f, 2))))
    # cancel, cancelled
    c = loop.create_task(f, 0)
    c.cancel()
    v, err = catch(wait, c)
    rows.append((c.cancelled(), err.kind))
    # current_task
    rows.append(loop.current_task() != None)
wait(loop.create_task(main_like))
`)
	assert.Equal(t, `[("n", 42), (None, "TimeoutError"), "in time", [2, 4], (True, "CancelledError"), True]`, g["rows"].String())
}
