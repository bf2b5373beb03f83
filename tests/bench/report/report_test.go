package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
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
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "results.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
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
	if len(rows) != 2 {
		t.Fatalf("want a median row and a spread row for %s in:\n%s", server, out)
	}
	return rows[0], rows[1]
}

func TestReportMediansSpreadsAndRatios(t *testing.T) {
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
	if err := run([]string{"-servers", "uvloop,starnet", path}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	uv, uvSpread := rowsOf(t, out.String(), "uvloop")
	sn, snSpread := rowsOf(t, out.String(), "starnet")
	for _, want := range []string{"100k ×1", "480 ×1", "5.00 ×1"} {
		if !strings.Contains(uv, want) {
			t.Errorf("uvloop row lacks %q:\n%s", want, uv)
		}
	}
	for _, want := range []string{"90.0k–110k", "450–500", "4.00–6.00"} {
		if !strings.Contains(uvSpread, want) {
			t.Errorf("uvloop spread row lacks %q:\n%s", want, uvSpread)
		}
	}
	// starnet: req/s median 150k → ×1.50; p50 median 350 → 350/480 = ×0.73;
	// user µs median 2.5 → 2.5/5 = ×0.50.
	for _, want := range []string{"150k ×1.50", "350 ×0.73", "2.50 ×0.50"} {
		if !strings.Contains(sn, want) {
			t.Errorf("starnet row lacks %q:\n%s", want, sn)
		}
	}
	for _, want := range []string{"120k–180k", "300–400", "2.00–3.00"} {
		if !strings.Contains(snSpread, want) {
			t.Errorf("starnet spread row lacks %q:\n%s", want, snSpread)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(sn), " 2") {
		t.Errorf("starnet row should end with 2 errors:\n%s", sn)
	}
	if !strings.Contains(out.String(), "starnet round 2: 2 failed, first: read echo: connection reset by peer") {
		t.Errorf("the failed run is not listed:\n%s", out.String())
	}
	if strings.Index(out.String(), "uvloop ") > strings.Index(out.String(), "starnet ") {
		t.Errorf("rows are not in the -servers order:\n%s", out.String())
	}
	if strings.Contains(out.String(), "sysc/") {
		t.Errorf("no run counted system calls, yet there is a column for them:\n%s", out.String())
	}
}

// withSyscalls returns r with its server's system calls per unit set.
func withSyscalls(r result.Result, perUnit float64) result.Result {
	r.ServerSyscalls = perUnit
	return r
}

func TestReportSyscallsColumn(t *testing.T) {
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
	if err := run([]string{"-servers", "uvloop,starnet,node", path}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	pingPongTable, rest, _ := strings.Cut(text, "stream-64k —")
	streamTable, _, _ := strings.Cut(rest, "\nEach table")
	if !strings.Contains(pingPongTable, "sysc/req") || strings.Contains(streamTable, "sysc/") {
		t.Fatalf("want a sysc/req column in the ping-pong table only:\n%s", text)
	}
	if !strings.Contains(text, "sysc/req, sysc/MB: system calls the server made") {
		t.Errorf("the legend does not explain the column:\n%s", text)
	}
	uv, uvSpread := rowsOf(t, pingPongTable, "uvloop")
	sn, snSpread := rowsOf(t, pingPongTable, "starnet")
	node, _ := rowsOf(t, pingPongTable, "node")
	// uvloop: median 2.2; starnet: median 3.3 → 3.3/2.2 = ×1.50.
	for row, want := range map[string]string{
		uv: "2.20 ×1", uvSpread: "2.00–2.40", sn: "3.30 ×1.50", snSpread: "3.00–3.50",
	} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %q:\n%s", want, row)
		}
	}
	// node's runs lack the figure: its cell is "–".
	if fields := strings.Fields(node); !slices.Contains(fields, "–") {
		t.Errorf("want – for node's missing system calls:\n%s", node)
	}
}

func TestReportWithoutBaselineOrServerCPU(t *testing.T) {
	r := pingPong("node", 1, 50000, 700, 0)
	r.Unit, r.ServerUserUS, r.ServerSysUS = "", 0, 0
	path := writeResults(t, []result.Result{r})
	var out bytes.Buffer
	if err := run([]string{path}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	row, _ := rowsOf(t, out.String(), "node")
	if strings.Contains(row, "×") {
		t.Errorf("no uvloop run, yet the row has a ratio:\n%s", row)
	}
	if !strings.Contains(row, "50.0k") || !strings.Contains(row, "–") {
		t.Errorf("want 50.0k req/s and – for the missing server CPU:\n%s", row)
	}
}

func TestReportRejectsBadInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(path, []byte("{\"server\": \"x\"}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{path}, strings.NewReader(""), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("want an error naming line 2, got %v", err)
	}
	if err := run(nil, strings.NewReader("\n"), new(bytes.Buffer)); err == nil {
		t.Fatal("want an error for input without results")
	}
}

func TestFormatNum(t *testing.T) {
	cases := map[float64]string{
		0: "0.00", 2.345: "2.35", 45.25: "45.2", 512: "512", 9543: "9543",
		12345: "12.3k", 123456: "123k", 12.5e6: "12.5M",
	}
	for v, want := range cases {
		if got := formatNum(v); got != want {
			t.Errorf("formatNum(%v) = %q, want %q", v, got, want)
		}
	}
}

// tlsPingPong is pingPong over TLS with the given negotiated suite.
func tlsPingPong(server, suite string) result.Result {
	r := pingPong(server, 1, 50000, 500, 4)
	r.Workload, r.TLS = "tls-pingpong-1k", suite
	return r
}

func TestReportNamesTLSSuites(t *testing.T) {
	const aes128, aes256 = "TLSv1.3 TLS_AES_128_GCM_SHA256", "TLSv1.3 TLS_AES_256_GCM_SHA384"
	report := func(results ...result.Result) string {
		t.Helper()
		var out bytes.Buffer
		if err := run([]string{writeResults(t, results)}, strings.NewReader(""), &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	same := report(tlsPingPong("uvloop", aes128), tlsPingPong("starnet", aes128))
	if !strings.Contains(same, "ping-pong over TLS") || !strings.Contains(same, "TLS (every server): "+aes128) {
		t.Errorf("want the title to say TLS and one suite line:\n%s", same)
	}
	mixed := report(tlsPingPong("uvloop", aes256), tlsPingPong("starnet", aes128))
	for _, want := range []string{"TLS uvloop: " + aes256, "TLS starnet: " + aes128} {
		if !strings.Contains(mixed, want) {
			t.Errorf("want %q when the servers differ:\n%s", want, mixed)
		}
	}
	if plain := report(pingPong("uvloop", 1, 1, 1, 1)); strings.Contains(plain, "TLS") {
		t.Errorf("a plain TCP table mentions TLS:\n%s", plain)
	}
}
