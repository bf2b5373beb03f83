package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pingPong makes a ping-pong result with the figures the tests look at.
func pingPong(server string, round int, reqPerS, p50, userUS float64) result.Result {
	return result.Result{
		Server: server, Workload: "pingpong-64", Round: round, Mode: result.ModePingPong,
		Conns: 50, Size: 64, WindowS: 5, ReqPerS: reqPerS,
		Latency: &result.Latency{P50: p50, P99: 2 * p50, P999: 3 * p50},
		Unit:    result.UnitRequest, ServerUserUS: userUS, ServerSysUS: 1,
	}
}

func writeResults(t *testing.T, results []result.Result) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range results {
		require.NoError(t, enc.Encode(r))
	}
	path := filepath.Join(t.TempDir(), "results.jsonl")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// rowsOf returns the table's median row and spread row of server.
func rowsOf(t *testing.T, out, server string) (medians, spreads string) {
	t.Helper()
	var rows []string
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, server+" ") {
			rows = append(rows, line)
		}
	}
	require.Len(t, rows, 2, "want a median row and a spread row for %s in:\n%s", server, out)
	return rows[0], rows[1]
}

// TestReportMediansSpreadsAndRatios: a server's row has the medians of its
// rounds with their ratio to uvloop's, its spread row the range, failed
// runs are listed, and rows follow -servers.
func TestReportMediansSpreadsAndRatios(t *testing.T) {
	t.Parallel()
	failed := pingPong("starnet", 2, 150000, 300, 2)
	failed.Errors, failed.FirstError = 2, "read echo: connection reset by peer"
	path := writeResults(t, []result.Result{
		pingPong("uvloop", 1, 90000, 500, 4),
		pingPong("starnet", 1, 120000, 400, 3),
		pingPong("uvloop", 2, 110000, 450, 5),
		failed,
		pingPong("uvloop", 3, 100000, 480, 6),
		pingPong("starnet", 3, 180000, 350, 2.5),
	})
	var out bytes.Buffer
	require.NoError(t, run([]string{"-servers", "uvloop,starnet", path}, strings.NewReader(""), &out))
	uv, uvSpread := rowsOf(t, out.String(), "uvloop")
	sn, snSpread := rowsOf(t, out.String(), "starnet")
	for _, want := range []string{"100k ×1", "480 ×1", "5.00 ×1"} {
		assert.Contains(t, uv, want, "uvloop row lacks")
	}
	for _, want := range []string{"90.0k–110k", "450–500", "4.00–6.00"} {
		assert.Contains(t, uvSpread, want, "uvloop spread row lacks")
	}
	// starnet: req/s median 150k → ×1.50; p50 median 350 → 350/480 = ×0.73;
	// user µs median 2.5 → 2.5/5 = ×0.50.
	for _, want := range []string{"150k ×1.50", "350 ×0.73", "2.50 ×0.50"} {
		assert.Contains(t, sn, want, "starnet row lacks")
	}
	for _, want := range []string{"120k–180k", "300–400", "2.00–3.00"} {
		assert.Contains(t, snSpread, want, "starnet spread row lacks")
	}
	assert.True(t, strings.HasSuffix(strings.TrimSpace(sn), " 2"), "starnet row should end with 2 errors:\n%s", sn)
	assert.Contains(t, out.String(), "starnet round 2: 2 failed, first: read echo: connection reset by peer", "the failed run is not listed")
	assert.Less(t, strings.Index(out.String(), "uvloop "), strings.Index(out.String(), "starnet "), "rows are not in the -servers order:\n%s", out.String())
	assert.NotContains(t, out.String(), "sysc/", "no run counted system calls, yet there is a column for them")
}

// withSyscalls returns r with its server's system calls per unit set.
func withSyscalls(r result.Result, perUnit float64) result.Result {
	r.ServerSyscalls = perUnit
	return r
}

// TestReportSyscallsColumn: a system calls column appears in a table whose
// runs counted them, with – for a server whose runs did not.
func TestReportSyscallsColumn(t *testing.T) {
	t.Parallel()
	stream := pingPong("uvloop", 1, 0, 0, 4)
	stream.Workload, stream.Mode, stream.Unit, stream.Latency, stream.MBPerS = "stream-64k", result.ModeStream, result.UnitMB, nil, 900
	path := writeResults(t, []result.Result{
		withSyscalls(pingPong("uvloop", 1, 90000, 500, 4), 2.0),
		withSyscalls(pingPong("starnet", 1, 120000, 400, 3), 3.5),
		withSyscalls(pingPong("uvloop", 2, 110000, 450, 5), 2.4),
		withSyscalls(pingPong("starnet", 2, 150000, 300, 2), 3.0),
		withSyscalls(pingPong("uvloop", 3, 100000, 480, 6), 2.2),
		withSyscalls(pingPong("starnet", 3, 180000, 350, 2.5), 3.3),
		pingPong("node", 1, 50000, 700, 8), // made without -syscalls
		stream,
	})
	var out bytes.Buffer
	require.NoError(t, run([]string{"-servers", "uvloop,starnet,node", path}, strings.NewReader(""), &out))
	text := out.String()
	pingPongTable, rest, _ := strings.Cut(text, "stream-64k —")
	streamTable, _, _ := strings.Cut(rest, "\nEach table")
	require.Contains(t, pingPongTable, "sysc/req", "want a sysc/req column in the ping-pong table")
	require.NotContains(t, streamTable, "sysc/", "want no system calls column in the stream table")
	assert.Contains(t, text, "sysc/req, sysc/MB: system calls the server made", "the legend does not explain the column")
	uv, uvSpread := rowsOf(t, pingPongTable, "uvloop")
	sn, snSpread := rowsOf(t, pingPongTable, "starnet")
	node, _ := rowsOf(t, pingPongTable, "node")
	// uvloop: median 2.2; starnet: median 3.3 → 3.3/2.2 = ×1.50.
	for row, want := range map[string]string{
		uv: "2.20 ×1", uvSpread: "2.00–2.40", sn: "3.30 ×1.50", snSpread: "3.00–3.50",
	} {
		assert.Contains(t, row, want, "row lacks")
	}
	// node's runs lack the figure: its cell is "–".
	assert.Contains(t, strings.Fields(node), "–", "want – for node's missing system calls:\n%s", node)
}

// TestReportWithoutBaselineOrServerCPU: without a uvloop run there are no
// ratios, and a missing server CPU figure is –.
func TestReportWithoutBaselineOrServerCPU(t *testing.T) {
	t.Parallel()
	r := pingPong("node", 1, 50000, 700, 0)
	r.Unit, r.ServerUserUS, r.ServerSysUS = "", 0, 0
	path := writeResults(t, []result.Result{r})
	var out bytes.Buffer
	require.NoError(t, run([]string{path}, strings.NewReader(""), &out))
	row, _ := rowsOf(t, out.String(), "node")
	assert.NotContains(t, row, "×", "no uvloop run, yet the row has a ratio")
	assert.Contains(t, row, "50.0k", "want 50.0k req/s")
	assert.Contains(t, row, "–", "want – for the missing server CPU")
}

// TestReportRejectsBadInput: a line that is not JSON is named in the error,
// and input without results is an error.
func TestReportRejectsBadInput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("{\"server\": \"x\"}\nnot json\n"), 0o644))
	err := run([]string{path}, strings.NewReader(""), new(bytes.Buffer))
	require.ErrorContains(t, err, "line 2", "want an error naming line 2")
	require.Error(t, run(nil, strings.NewReader("\n"), new(bytes.Buffer)), "want an error for input without results")
}

// TestFormatNum: three significant digits, with k and M suffixes.
func TestFormatNum(t *testing.T) {
	t.Parallel()
	cases := map[float64]string{
		0: "0.00", 2.345: "2.35", 45.25: "45.2", 512: "512", 9543: "9543",
		12345: "12.3k", 123456: "123k", 12.5e6: "12.5M",
	}
	for v, want := range cases {
		assert.Equal(t, want, formatNum(v), "formatNum(%v)", v)
	}
}

// tlsPingPong is pingPong over TLS with the given negotiated suite.
func tlsPingPong(server, suite string) result.Result {
	r := pingPong(server, 1, 50000, 500, 4)
	r.Workload, r.TLS = "tls-pingpong-1k", suite
	return r
}

// TestReportNamesTLSSuites: a TLS table says so and names the negotiated
// suite, once when every server agrees, per server when they differ.
func TestReportNamesTLSSuites(t *testing.T) {
	t.Parallel()
	const aes128, aes256 = "TLSv1.3 TLS_AES_128_GCM_SHA256", "TLSv1.3 TLS_AES_256_GCM_SHA384"
	report := func(results ...result.Result) string {
		t.Helper()
		var out bytes.Buffer
		require.NoError(t, run([]string{writeResults(t, results)}, strings.NewReader(""), &out))
		return out.String()
	}
	same := report(tlsPingPong("uvloop", aes128), tlsPingPong("starnet", aes128))
	assert.Contains(t, same, "ping-pong over TLS", "want the title to say TLS")
	assert.Contains(t, same, "TLS (every server): "+aes128, "want one suite line")
	mixed := report(tlsPingPong("uvloop", aes256), tlsPingPong("starnet", aes128))
	for _, want := range []string{"TLS uvloop: " + aes256, "TLS starnet: " + aes128} {
		assert.Contains(t, mixed, want, "want when the servers differ")
	}
	assert.NotContains(t, report(pingPong("uvloop", 1, 1, 1, 1)), "TLS", "a plain TCP table mentions TLS")
}
