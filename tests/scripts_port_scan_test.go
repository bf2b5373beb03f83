package tests

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// probeTimeout is port_scan.star's TIMEOUT argument in these tests. A
// port whose SYN is dropped is reported only after it, so it is what
// TestPortScan takes; every other verdict must come within it, which
// even a loaded machine does with this margin (the tests run in parallel,
// so the wait costs little).
const probeTimeout = "5"

// TestPortScan: port_scan.star reports an open, a timing-out and two
// refused ports of pythonPorts, in port order.
func TestPortScan(t *testing.T) {
	t.Parallel()
	peer := testkit.StartPython(t, pythonPorts)
	want := map[int]string{}
	for _, status := range []string{"open", "timeout", "closed", "closed2"} {
		port, err := strconv.Atoi(strings.Fields(peer.WaitLine(status + " "))[1])
		require.NoError(t, err)
		want[port] = strings.TrimSuffix(status, "2")
	}
	peer.WaitLine("ready")

	ports := make([]int, 0, len(want))
	for port := range want {
		ports = append(ports, port)
	}
	sort.Ints(ports)
	var spec, expected []string
	for _, port := range ports {
		spec = append(spec, strconv.Itoa(port))
		expected = append(expected, fmt.Sprintf("%-6d %s", port, want[port]))
	}
	expected = append([]string{"PORT   STATE"}, expected...)
	expected = append(expected, "4 ports: 2 closed, 1 open, 1 timeout")

	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1",
		"scripts/port_scan.star", "127.0.0.1", strings.Join(spec, ","), probeTimeout, "2")
	require.Equal(t, 0, code, "port_scan's exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, strings.Join(expected, "\n")+"\n", stdout, "what port_scan printed")
}

// TestPortScanRanges: a port list with a range, out of order and with a
// duplicate, is checked once per port, in order.
func TestPortScanRanges(t *testing.T) {
	t.Parallel()
	peer := testkit.StartPython(t, pythonPorts)
	open, err := strconv.Atoi(strings.Fields(peer.WaitLine("open "))[1])
	require.NoError(t, err)
	peer.WaitLine("ready")
	// A range around the open port, given out of order and with a duplicate.
	// Only the open port is known to be open: neighbours may belong to anyone.
	spec := fmt.Sprintf("%d,%d-%d,%d", open+2, open-2, open+2, open)
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1",
		"scripts/port_scan.star", "127.0.0.1", spec, probeTimeout)
	require.Equal(t, 0, code, "port_scan's exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Len(t, lines, 7, "lines port_scan printed")
	assert.Equal(t, "PORT   STATE", lines[0], "the header")
	assert.True(t, strings.HasPrefix(lines[6], "5 ports: "), "the summary %q", lines[6])
	lines = lines[1:6]
	for i, line := range lines {
		assert.True(t, strings.HasPrefix(line, strconv.Itoa(open-2+i)+" "), "line %d is %q, want port %d", i, line, open-2+i)
	}
	assert.Equal(t, fmt.Sprintf("%-6d open", open), lines[2], "line 2")
}
