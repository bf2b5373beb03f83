package tests

import (
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pythonDNSResponder is a tiny authoritative DNS server on 127.0.0.1 (UDP,
// a port it prints), written with the socket module and struct only:
//
//	www.example.test   CNAME example.test (then A/AAAA of the target, for A, AAAA and ANY)
//	example.test       A 10.1.2.3, AAAA 2001:db8::1:0:0:1, MX 10 mail.example.test,
//	                   TXT "hello" "world"
//	lossy.example.test A 10.9.9.9, but the first query for it is dropped
//	anything else      NXDOMAIN
//
// Answers use name compression: pointers to the question and into earlier
// answers. It prints "query NAME TYPE" for each query it gets.
const pythonDNSResponder = `
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("port", s.getsockname()[1], flush=True)
A, CNAME, MX, TXT, AAAA, ANY = 1, 5, 15, 16, 28, 255
V6 = socket.inet_pton(socket.AF_INET6, "2001:db8::1:0:0:1")

def read_name(data, i):
    labels = []
    while data[i]:
        n = data[i]
        labels.append(data[i + 1:i + 1 + n].decode())
        i += 1 + n
    return ".".join(labels).lower(), i + 1

def encode(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"

def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata

dropped = set()
while True:
    data, addr = s.recvfrom(512)
    ident, flags, qdcount = struct.unpack(">HHH", data[:6])
    name, end = read_name(data, 12)
    qtype, qclass = struct.unpack(">HH", data[end:end + 4])
    print("query", name, qtype, flush=True)
    question = data[12:end + 4]
    answers, rcode = [], 0
    at_question = b"\xc0\x0c"
    if name == "www.example.test":
        answers.append(rr(at_question, CNAME, 300, encode("example.test")))
        # The CNAME's target is right after the first answer's fixed part.
        target = struct.pack(">H", 0xC000 | (12 + len(question) + 12))
        if qtype in (A, ANY):
            answers.append(rr(target, A, 60, bytes([10, 1, 2, 3])))
        if qtype in (AAAA, ANY):
            answers.append(rr(target, AAAA, 60, V6))
    elif name == "example.test":
        if qtype in (A, ANY):
            answers.append(rr(at_question, A, 60, bytes([10, 1, 2, 3])))
        if qtype in (AAAA, ANY):
            answers.append(rr(at_question, AAAA, 60, V6))
        if qtype in (MX, ANY):
            answers.append(rr(at_question, MX, 60, struct.pack(">H", 10) + encode("mail.example.test")))
        if qtype in (TXT, ANY):
            answers.append(rr(at_question, TXT, 60, b"\x05hello\x05world"))
    elif name == "lossy.example.test":
        if name not in dropped:
            dropped.add(name)
            continue
        answers.append(rr(at_question, A, 60, bytes([10, 9, 9, 9])))
    else:
        rcode = 3
    reply = struct.pack(">HHHHHH", ident, 0x8180 | rcode, 1, len(answers), 0, 0) + question + b"".join(answers)
    s.sendto(reply, addr)
`

// startDNSResponder starts pythonDNSResponder and returns it with its port.
func startDNSResponder(t *testing.T) (*testkit.Process, string) {
	t.Helper()
	p := testkit.StartPython(t, pythonDNSResponder)
	return p, strings.Fields(p.WaitLine("port "))[1]
}

// answerLines drops the status line's id (random) and returns the output.
func answerLines(out string) []string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 0 {
		if i := strings.Index(lines[0], ", id: "); i >= 0 {
			if j := strings.Index(lines[0][i+6:], ","); j >= 0 {
				lines[0] = lines[0][:i] + lines[0][i+6+j:]
			}
		}
	}
	return lines
}

// TestDNSQuery: scripts/dns_query.star prints the answers of
// pythonDNSResponder (CNAME chains, AAAA, ANY, NXDOMAIN, compressed names)
// as dig does.
func TestDNSQuery(t *testing.T) {
	t.Parallel()
	_, port := startDNSResponder(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"www.example.test"}, []string{
			";; status: NOERROR, answers: 2",
			"www.example.test.\t300\tIN\tCNAME\texample.test.",
			"example.test.\t60\tIN\tA\t10.1.2.3",
		}},
		{[]string{"www.example.test", "AAAA"}, []string{
			";; status: NOERROR, answers: 2",
			"www.example.test.\t300\tIN\tCNAME\texample.test.",
			"example.test.\t60\tIN\tAAAA\t2001:db8::1:0:0:1",
		}},
		{[]string{"Example.Test.", "any"}, []string{
			// The owner names point at the question: its spelling is kept.
			";; status: NOERROR, answers: 4",
			"Example.Test.\t60\tIN\tA\t10.1.2.3",
			"Example.Test.\t60\tIN\tAAAA\t2001:db8::1:0:0:1",
			"Example.Test.\t60\tIN\tMX\t10 mail.example.test.",
			"Example.Test.\t60\tIN\tTXT\t\"hello\" \"world\"",
		}},
		{[]string{"nothing.example.test"}, []string{";; status: NXDOMAIN, answers: 0"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run", "--allow-net=127.0.0.1", "scripts/dns_query.star"}, c.args...)
			args = append(args, "@127.0.0.1", "-p", port)
			code, out, stderr := runScript(t, args...)
			require.Equal(t, 0, code, "exit status\n%s%s", out, stderr)
			assert.Equal(t, c.want, answerLines(out))
		})
	}
}

// TestDNSQueryRetries checks that a lost query is sent again.
func TestDNSQueryRetries(t *testing.T) {
	t.Parallel()
	responder, port := startDNSResponder(t)
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/dns_query.star", "lossy.example.test", "@127.0.0.1", "-p", port)
	require.Equal(t, 0, code, "exit status\n%s%s", out, stderr)
	got := answerLines(out)
	require.Len(t, got, 2, "answer lines %q", got)
	assert.Equal(t, "lossy.example.test.\t60\tIN\tA\t10.9.9.9", got[1])
	responder.WaitLine("query lossy.example.test 1")
	responder.WaitLine("query lossy.example.test 1")
}

// TestDNSQueryFailures: a refused query (ICMP, through error_received), a
// server address --allow-net does not cover, and the usage message.
func TestDNSQueryFailures(t *testing.T) {
	t.Parallel()
	// Nothing listens: the ICMP refusal comes back through error_received.
	port := releasedUDPPort(t)
	code, out, _ := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/dns_query.star", "example.test", "@127.0.0.1", "-p", strconv.Itoa(port))
	assert.Equal(t, 1, code, "refused: exit status")
	assert.Equal(t, ";; ConnectionRefusedError: [Errno 111] Connection refused\n", out, "refused: output")
	// The server's address must be allowed.
	code, _, stderr := runScript(t, "run", "--allow-net=127.0.0.2", "scripts/dns_query.star", "example.test", "@127.0.0.1")
	assert.Equal(t, 1, code, "denied: exit status")
	assert.Contains(t, stderr, `PermissionError: net access to "127.0.0.1:53" denied; run with --allow-net=127.0.0.1:53`)
	// Usage.
	code, out, _ = runScript(t, "run", "scripts/dns_query.star")
	assert.Equal(t, 2, code, "usage: exit status")
	assert.True(t, strings.HasPrefix(out, "usage: "), "usage: output %q", out)
}
