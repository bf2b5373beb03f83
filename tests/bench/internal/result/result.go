// Package result holds the record that the load generator writes, one JSON
// line per run, and that the report tool reads back to build its table.
package result

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Modes of the load generator, as written in Result.Mode.
const (
	ModePingPong = "pingpong"
	ModeStream   = "stream"
	ModeIdle     = "idle"
)

// Units that Result.Unit names: what one server-CPU figure is divided by.
const (
	UnitRequest = "req"  // one ping-pong round trip
	UnitMB      = "MB"   // 10^6 bytes echoed
	UnitConn    = "conn" // one connection opened (idle mode)
)

// Result is the outcome of one load-generator run against one server.
type Result struct {
	// Server names the server that was measured ("uvloop", "go-std", ...).
	Server string `json:"server"`
	// Workload names the workload ("pingpong-64", "stream-64k", "idle-10k").
	Workload string `json:"workload"`
	// Round is the round number given by the harness (1-based), or 0.
	Round int `json:"round,omitempty"`
	// Mode is ModePingPong, ModeStream or ModeIdle.
	Mode string `json:"mode"`
	// Conns is the number of connections opened.
	Conns int `json:"conns"`
	// Engine is the load generator's ping-pong engine: "epoll" (one
	// thread) or "goroutines" (one per connection).
	Engine string `json:"engine,omitempty"`
	// TLS names the TLS version and cipher suite the connections
	// negotiated ("TLSv1.3 TLS_AES_128_GCM_SHA256"); empty over plain TCP.
	TLS string `json:"tls,omitempty"`
	// Size is the message size (ping-pong) or write size (stream) in bytes.
	Size int `json:"size"`
	// WindowS is the length of the measured window in seconds (after
	// warm-up); for idle mode, the time taken to open every connection.
	WindowS float64 `json:"window_s"`

	// Requests is the number of round trips completed in the window.
	Requests uint64 `json:"requests,omitempty"`
	// ReqPerS is Requests per second.
	ReqPerS float64 `json:"req_per_s,omitempty"`
	// MBPerS is the payload echoed back to the client per second, in 10^6
	// bytes (one direction).
	MBPerS float64 `json:"mb_per_s,omitempty"`
	// Latency holds the round-trip percentiles (ping-pong only).
	Latency *Latency `json:"latency_us,omitempty"`

	// Unit is what the per-unit server CPU and system-call figures are
	// divided by.
	Unit string `json:"unit,omitempty"`
	// ServerUserUS and ServerSysUS are the server's user and system CPU
	// time per Unit, in microseconds, over the window.
	ServerUserUS float64 `json:"server_user_us_per_unit,omitempty"`
	ServerSysUS  float64 `json:"server_sys_us_per_unit,omitempty"`
	// ServerSyscalls is the number of system calls the server made per
	// Unit over the window, to two decimals, counted with perf's
	// raw_syscalls:sys_enter tracepoint (loadgen -syscalls, Linux); absent
	// when not asked for or when perf could not count (Notes says why).
	ServerSyscalls float64 `json:"server_syscalls_per_unit,omitempty"`
	// ServerCPUPct is the server's CPU use over the window, in percent of
	// one core.
	ServerCPUPct float64 `json:"server_cpu_pct,omitempty"`
	// ClientCPU is the load generator's own CPU use over the window.
	ClientCPU CPU `json:"client_cpu"`
	// SoftirqPct is the machine's softirq time over the window, in percent
	// of one core. Over loopback it is mostly both sides' TCP processing,
	// which the kernel charges to neither process.
	SoftirqPct float64 `json:"softirq_pct,omitempty"`
	// OtherCPUPct is what the rest of the machine used over the window
	// (busy time less the client, the server and softirq), in percent of
	// one core: a high figure means the run was disturbed.
	OtherCPUPct float64 `json:"other_cpu_pct,omitempty"`

	// RSSBeforeKiB is the server's VmRSS before the run's connections
	// were opened; RSSAfterKiB at the end of the window (or the hold, in
	// idle mode).
	RSSBeforeKiB int64 `json:"rss_before_kib,omitempty"`
	RSSAfterKiB  int64 `json:"rss_after_kib,omitempty"`
	// RSSPerConnB is (RSSAfterKiB-RSSBeforeKiB)/Conns in bytes (idle mode).
	RSSPerConnB float64 `json:"rss_per_conn_b,omitempty"`

	// Errors counts connections that failed (reset, short or wrong echo,
	// no close after EOF); FirstError describes the first one.
	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Notes says which measurements were unavailable, and why.
	Notes []string `json:"notes,omitempty"`
}

// Latency holds round-trip latency figures in microseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// CPU is a process's CPU use over a window.
type CPU struct {
	// UserS and SysS are the user and system CPU seconds used.
	UserS float64 `json:"user_s"`
	SysS  float64 `json:"sys_s"`
	// Pct is (UserS+SysS) over the window's wall time, in percent of one core.
	Pct float64 `json:"pct"`
}

// ReadAll decodes every JSON line of r into Results. Blank lines are
// skipped; a line that does not decode is an error naming its number.
func ReadAll(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := sc.Bytes()
		if len(text) == 0 {
			continue
		}
		var res Result
		if err := json.Unmarshal(text, &res); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return out, nil
}
