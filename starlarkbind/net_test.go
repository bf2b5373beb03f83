package starlarkbind

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.starlark.net/starlark"
)

// echoServer is a script: an echo server that counts connection_made and
// connection_lost per transport and closes itself after `want` connections
// were lost.
const echoServer = `
made = {}
lost = {}
errors = []

def connection_made(self, transport):
    self.transport = transport
    made[transport] = made.get(transport, 0) + 1

def data_received(self, data):
    if data[:4] == b"boom":
        fail("boom requested")
    if data[:4] == b"spin":
        while True:
            pass
    self.transport.write(data)

def connection_lost(self, exc):
    lost[self.transport] = lost.get(self.transport, 0) + 1
    errors.append(None if exc == None else exc.kind)
    if exc != None:
        messages.append(exc.message)
    if len(lost) == want:
        srv.close()

messages = []
Echo = protocol("Echo", connection_made = connection_made, data_received = data_received,
                connection_lost = connection_lost)
srv = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
`

// pyEcho checks echoes on several concurrent connections.
const pyEcho = `
import socket, sys, random
port, nconn, nmsg = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
conns = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(nconn)]
rnd = random.Random(1)
for i in range(nmsg):
    for c in conns:
        msg = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))
        c.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = c.recv(65536)
            assert chunk, "closed early"
            got += chunk
        assert got == msg, "echo mismatch"
for c in conns:
    c.close()
print("ok")
`

func TestEchoServerWithPythonClient(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 1_000_000})
	te.e.Predeclare("want", starlark.MakeInt(3))
	g := te.exec(echoServer)
	py := startPython(t, pyEcho, itoa(te.serverPort(g, "srv")), "3", "40")
	te.run()
	if out := py.wait(t); strings.TrimSpace(out) != "ok" {
		t.Fatalf("client: %s", out)
	}
	checkCounts(t, g, 3)
	if got := g["errors"].String(); got != "[None, None, None]" {
		t.Errorf("connection_lost exceptions = %s, want three None", got)
	}
	if te.stderr.String() != "" {
		t.Errorf("stderr: %s", te.stderr)
	}
	if n := te.e.OpenTransports(); n != 0 {
		t.Errorf("%d transports still tracked", n)
	}
}

// checkCounts checks that each of n transports was made and lost exactly once.
func checkCounts(t *testing.T, g starlark.StringDict, n int) {
	t.Helper()
	for _, name := range []string{"made", "lost"} {
		d := g[name].(*starlark.Dict)
		if d.Len() != n {
			t.Errorf("%s has %d transports, want %d: %s", name, d.Len(), n, d)
		}
		for _, item := range d.Items() {
			if item[1] != starlark.MakeInt(1) {
				t.Errorf("%s[%s] = %s, want 1", name, item[0], item[1])
			}
		}
	}
}

// pyFailing: connection a echoes, b sends "boom" (or "spin") and must be
// closed, a still echoes, then a new connection c echoes.
const pyFailing = `
import socket, sys
port, bad = int(sys.argv[1]), sys.argv[2].encode()
def echo(c, msg):
    c.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = c.recv(65536)
        assert chunk, "closed early"
        got += chunk
    assert got == msg
a = socket.create_connection(("127.0.0.1", port), timeout=20)
echo(a, b"first")
b = socket.create_connection(("127.0.0.1", port), timeout=20)
b.sendall(bad)
try:
    rest = b.recv(100)
except ConnectionResetError:
    rest = b""
assert rest == b"", rest
echo(a, b"still here")
c = socket.create_connection(("127.0.0.1", port), timeout=20)
echo(c, b"new connection")
for s in (a, b, c):
    s.close()
print("ok")
`

func TestFailingDataReceivedClosesOnlyItsConnection(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 1_000_000})
	te.e.Predeclare("want", starlark.MakeInt(3))
	g := te.exec(echoServer)
	py := startPython(t, pyFailing, itoa(te.serverPort(g, "srv")), "boom")
	te.run()
	if out := py.wait(t); strings.TrimSpace(out) != "ok" {
		t.Fatalf("client: %s", out)
	}
	checkCounts(t, g, 3)
	if got := g["errors"].String(); got != `["ScriptError", None, None]` {
		t.Errorf("connection_lost kinds = %s", got)
	}
	msg := g["messages"].String()
	if !strings.Contains(msg, "Echo.data_received() failed") || !strings.Contains(msg, "boom requested") {
		t.Errorf("ScriptError message = %s", msg)
	}
	// The report names the protocol, the callback and the peer, and has a
	// traceback with file:line.
	report := te.stderr.String()
	for _, want := range []string{"Echo.data_received() failed (peer 127.0.0.1:", "test.star:", "in data_received", "boom requested"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestRunawayCallbackStoppedByMaxSteps(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 100_000})
	te.e.Predeclare("want", starlark.MakeInt(3))
	g := te.exec(echoServer)
	py := startPython(t, pyFailing, itoa(te.serverPort(g, "srv")), "spin")
	te.run()
	if out := py.wait(t); strings.TrimSpace(out) != "ok" {
		t.Fatalf("client: %s", out)
	}
	checkCounts(t, g, 3)
	if got := g["errors"].String(); got != `["ScriptError", None, None]` {
		t.Errorf("connection_lost kinds = %s", got)
	}
	if msg := g["messages"].String(); !strings.Contains(msg, "too many steps") {
		t.Errorf("ScriptError message = %s", msg)
	}
}

func TestRunawayTimerIsReportedAndNextCallbackRuns(t *testing.T) {
	te := newTestEnv(t, Options{MaxSteps: 100_000})
	g := te.exec(`
done = []
def spin():
    while True:
        pass
def count():
    n = 0
    for i in range(1000):
        n += i
    done.append(n)
loop.call_soon(spin)
loop.call_soon(count)
loop.call_later(0.001, count)
`)
	te.run()
	if got := g["done"].String(); got != "[499500, 499500]" {
		t.Errorf("done = %s", got)
	}
	if report := te.stderr.String(); !strings.Contains(report, "too many steps") || !strings.Contains(report, "in spin") {
		t.Errorf("report:\n%s", report)
	}
}

func TestTopLevelStepBudgetExcludesCallbacks(t *testing.T) {
	// Each callback takes fewer steps than the budget; all of them together,
	// run from the top level's run_until_complete, take more. The top level
	// is not charged for them.
	te := newTestEnv(t, Options{MaxSteps: 20_000})
	g := te.exec(`
total = []
def work():
    n = 0
    for i in range(1000):
        n += 1
    total.append(n)
for i in range(50):
    loop.call_soon(work)
loop.run_until_complete(loop.sleep(0.001))
after = len(total)
`)
	if got := g["after"].String(); got != "50" {
		t.Errorf("callbacks run = %s, want 50\n%s", got, te.stderr)
	}
}

// permissionScript connects to host:port (a Go listener) and records the
// outcome.
const permissionScript = `
P = protocol("P")
res = loop.run_until_complete(loop.create_connection(P, host, port), return_exceptions = True)
if type(res) == "error":
    outcome = str(res)
else:
    outcome = "connected"
    res[0].close()
`

func TestNetPermissions(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	denied := func(host string) string {
		target := net.JoinHostPort(host, itoa(port))
		return fmt.Sprintf("PermissionError: net access to %q denied; run with --allow-net=%s", target, target)
	}
	cases := []struct {
		allow []string
		host  string
		want  string
	}{
		{nil, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"127.0.0.2"}, "localhost", denied("localhost")},
		{[]string{"127.0.0.2"}, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"localhost"}, "localhost", "connected"},
		{[]string{"localhost"}, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"127.0.0.1"}, "localhost", "connected"},
		{[]string{"127.0.0.1"}, "127.0.0.1", "connected"},
		{[]string{"*"}, "localhost", "connected"},
		{[]string{":" + itoa(port)}, "127.0.0.1", "connected"},
		{[]string{":" + itoa(port+1)}, "127.0.0.1", denied("127.0.0.1")},
		{[]string{"127.0.0.1:" + itoa(port)}, "localhost", "connected"},
		{[]string{"localhost:" + itoa(port+1)}, "localhost", denied("localhost")},
		{[]string{"10.0.0.0/8"}, "localhost", denied("localhost")},
		{[]string{"127.0.0.0/8"}, "localhost", "connected"},
		{[]string{"127.0.0.0/8:" + itoa(port)}, "127.0.0.1", "connected"},
		{[]string{"[::1]:80", "LOCALHOST"}, "localhost", "connected"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.allow, ",")+"->"+c.host, func(t *testing.T) {
			te := newTestEnv(t, Options{Permissions: Permissions{Net: c.allow}})
			te.e.Predeclare("host", starlark.String(c.host))
			te.e.Predeclare("port", starlark.MakeInt(port))
			g := te.exec(permissionScript)
			te.run()
			if got := string(g["outcome"].(starlark.String)); got != c.want {
				t.Errorf("outcome = %s, want %s", got, c.want)
			}
		})
	}
}

func TestListenPermissions(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: Permissions{Net: []string{"127.0.0.1:0"}}})
	g := te.exec(`
P = protocol("P")
ok = loop.run_until_complete(loop.create_server(P, "127.0.0.1", 0))
ok.close()
# localhost resolves to 127.0.0.1, which the entry allows.
ok2 = loop.run_until_complete(loop.create_server(P, "localhost", 0))
ok2.close()
denied = str(loop.run_until_complete(loop.create_server(P, "127.0.0.2", 0), return_exceptions = True))
any = str(loop.run_until_complete(loop.create_server(P, "", 0), return_exceptions = True))
`)
	te.run()
	if got, want := g["denied"].String(), `"PermissionError: net access to \"127.0.0.2:0\" denied; run with --allow-net=127.0.0.2:0"`; got != want {
		t.Errorf("denied = %s, want %s", got, want)
	}
	if got := g["any"].String(); !strings.Contains(got, `net access to \"0.0.0.0:0\" denied`) {
		t.Errorf("any = %s", got)
	}
}

func TestUnixSocketPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")
	te := newTestEnv(t, Options{Permissions: Permissions{Write: []string{dir}}})
	te.e.Predeclare("path", starlark.String(path))
	g := te.exec(`
P = protocol("P")
srv = loop.run_until_complete(loop.create_unix_server(P, path))
conn = str(loop.run_until_complete(loop.create_unix_connection(P, path), return_exceptions = True))
srv.close()
`)
	te.run()
	want := fmt.Sprintf(`"PermissionError: read access to %q denied; run with --allow-read=%s"`, path, path)
	want = strings.ReplaceAll(want, `"/`, `\"/`)
	if got := g["conn"].String(); !strings.Contains(got, "read access to") || !strings.Contains(got, "--allow-read="+path) {
		t.Errorf("conn = %s, want %s", got, want)
	}
}

func TestUnixEchoAndExtraInfo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "e.sock")
	te := newTestEnv(t, Options{Permissions: Permissions{Read: []string{dir}, Write: []string{dir}}})
	te.e.Predeclare("path", starlark.String(path))
	g := te.exec(`
info = {}
def made(self, t):
    self.t = t
    info["sockname"] = t.get_extra_info("sockname")
    sock = t.get_extra_info("socket")
    info["family"] = sock.family
    info["fileno"] = sock.fileno() > 2
    info["missing"] = t.get_extra_info("nope", "dflt")
S = protocol("S", connection_made = made, data_received = lambda self, d: self.t.write(d + b"!"))
srv = loop.run_until_complete(loop.create_unix_server(S, path))
got = []
C = protocol("C", data_received = lambda self, d: got.append(d) or srv.close() or self.t.close(),
             connection_made = lambda self, t: setattr_t(self, t))
def setattr_t(self, t):
    self.t = t
    t.write("hello")
tr, pr = loop.run_until_complete(loop.create_unix_connection(C, path))
`)
	te.run()
	if got := g["got"].String(); got != `[b"hello!"]` {
		t.Errorf("got = %s", got)
	}
	info := g["info"].(*starlark.Dict)
	for key, want := range map[string]string{"sockname": fmt.Sprintf("%q", path), "family": itoa(syscall.AF_UNIX), "fileno": "True", "missing": `"dflt"`} {
		v, _, _ := info.Get(starlark.String(key))
		if v == nil || v.String() != want {
			t.Errorf("info[%s] = %v, want %s", key, v, want)
		}
	}
	if _, err := os.Stat(path); err == nil {
		t.Logf("note: socket file %s left behind after close", path)
	}
}
