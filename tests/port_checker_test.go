package tests

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// pythonPorts prints four ports of 127.0.0.1 and keeps them so until killed:
// "open" is listening; "timeout" is listening with backlog 0 and a full
// accept queue, so that the kernel drops further SYNs; "closed" and
// "closed2" were bound then released, so connecting to them is refused.
const pythonPorts = `
import socket, sys
def released_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
listening = socket.socket()
listening.bind(("127.0.0.1", 0))
listening.listen(16)
full = socket.socket()
full.bind(("127.0.0.1", 0))
full.listen(0)
filler = socket.create_connection(full.getsockname(), timeout=10)
print("open", listening.getsockname()[1])
print("timeout", full.getsockname()[1])
print("closed", released_port())
print("closed2", released_port())
print("ready", flush=True)
sys.stdin.read()
`

func TestPortChecker(t *testing.T) {
	peer := startPython(t, pythonPorts)
	want := map[int]string{}
	for _, status := range []string{"open", "timeout", "closed", "closed2"} {
		port, err := strconv.Atoi(strings.Fields(peer.waitLine(status + " "))[1])
		if err != nil {
			t.Fatal(err)
		}
		want[port] = strings.TrimSuffix(status, "2")
	}
	peer.waitLine("ready")

	ports := make([]int, 0, len(want))
	for port := range want {
		ports = append(ports, port)
	}
	sort.Ints(ports)
	var spec, expected []string
	for _, port := range ports {
		spec = append(spec, strconv.Itoa(port))
		expected = append(expected, fmt.Sprintf("%d %s", port, want[port]))
	}

	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1",
		"scripts/port_checker.star", "127.0.0.1", strings.Join(spec, ","), "1.5")
	if code != 0 {
		t.Fatalf("port_checker exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if got, want := stdout, strings.Join(expected, "\n")+"\n"; got != want {
		t.Errorf("port_checker printed:\n%s\nwant:\n%s", got, want)
	}
}

func TestPortCheckerRanges(t *testing.T) {
	peer := startPython(t, pythonPorts)
	open, err := strconv.Atoi(strings.Fields(peer.waitLine("open "))[1])
	if err != nil {
		t.Fatal(err)
	}
	peer.waitLine("ready")
	// A range around the open port, given out of order and with a duplicate.
	// Only the open port is known to be open: neighbours may belong to anyone.
	spec := fmt.Sprintf("%d,%d-%d,%d", open+2, open-2, open+2, open)
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1",
		"scripts/port_checker.star", "127.0.0.1", spec, "1.5")
	if code != 0 {
		t.Fatalf("port_checker exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("port_checker printed %d lines, want 5:\n%s", len(lines), stdout)
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, strconv.Itoa(open-2+i)+" ") {
			t.Errorf("line %d is %q, want port %d", i, line, open-2+i)
		}
	}
	if lines[2] != fmt.Sprintf("%d open", open) {
		t.Errorf("line 2 is %q, want %q", lines[2], fmt.Sprintf("%d open", open))
	}
}
