package tests

import (
	"strconv"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/require"
)

// pythonChatScenario drives three socket clients through a chat session and
// asserts every line each one receives, in order: joins, broadcasts (not
// echoed to the sender), several lines in one segment, CRLF lines, /nick,
// a client hanging up, and /quit.
const pythonChatScenario = `
import socket, sys
port = int(sys.argv[1])

class Client:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.file = self.sock.makefile("r", encoding="utf-8", newline="\n")
        welcome = self.line()
        prefix = "* welcome, "
        if not welcome.startswith(prefix):
            raise AssertionError("first line %r is not a welcome" % welcome)
        self.name = welcome[len(prefix):].split("!")[0]
    def line(self):
        text = self.file.readline()
        if not text.endswith("\n"):
            raise AssertionError("connection ended (read %r) where a line was expected" % text)
        return text[:-1]
    def expect(self, want):
        got = self.line()
        if got != want:
            raise AssertionError("%s: got %r, want %r" % (self.name, got, want))
    def send(self, data):
        self.sock.sendall(data)
    def close(self):
        self.file.close()   # the socket stays open while its file is
        self.sock.close()

a = Client()
b = Client()
a.expect("* %s joined" % b.name)
c = Client()
a.expect("* %s joined" % c.name)
b.expect("* %s joined" % c.name)
if len({a.name, b.name, c.name}) != 3:
    raise AssertionError("names are not distinct: %s %s %s" % (a.name, b.name, c.name))

a.send(b"hello everyone\n")
b.expect("%s: hello everyone" % a.name)
c.expect("%s: hello everyone" % a.name)

# two lines and the start of a third in one segment; CRLF is accepted
c.send(b"one\r\ntwo\nthr")
c.send(b"ee\n")
for x in (a, b):
    x.expect("%s: one" % c.name)
    x.expect("%s: two" % c.name)
    x.expect("%s: three" % c.name)

b.send(b"/nick bob\n")
for x in (a, b, c):
    x.expect("* %s is now known as bob" % b.name)
b.name = "bob"
b.send(b"hi, I am bob\n")
a.expect("bob: hi, I am bob")
c.expect("bob: hi, I am bob")

c.close()
a.expect("* %s left" % c.name)
b.expect("* %s left" % c.name)

b.send(b"/quit\n")
a.expect("* bob left")
if b.file.readline() != "":
    raise AssertionError("bob's connection is still open after /quit")

# a never saw its own messages: its next line is the next broadcast
a.send(b"anyone?\n")
d = Client()
a.expect("* %s joined" % d.name)
print("ok")
`

// TestChatServer runs pythonChatScenario against scripts/chat_server.star,
// which must still be running afterwards.
func TestChatServer(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "-A", "scripts/chat_server.star", "0")
	port := listenPort(t, server)
	require.Equal(t, "ok\n", testkit.RunPython(t, pythonChatScenario, strconv.Itoa(port)), "what the chat scenario printed")
	require.True(t, server.Running(), "chat server exited")
}
