package main

import (
	"fmt"
	"strings"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// summary describes res in one or two lines for a person.
func summary(res *result.Result) string {
	var b strings.Builder
	round := ""
	if res.Round > 0 {
		round = fmt.Sprintf(" round %d", res.Round)
	}
	fmt.Fprintf(&b, "%s %s%s: %d conns × %d B", res.Server, res.Workload, round, res.Conns, res.Size)
	switch res.Mode {
	case result.ModePingPong:
		fmt.Fprintf(&b, ", %.1f s: %.0f req/s, %.2f MB/s", res.WindowS, res.ReqPerS, res.MBPerS)
		if l := res.Latency; l != nil {
			fmt.Fprintf(&b, ", latency µs p50 %.1f p99 %.1f p99.9 %.1f max %.1f", l.P50, l.P99, l.P999, l.Max)
		}
	case result.ModeStream:
		fmt.Fprintf(&b, ", %.1f s: %.1f MB/s echoed", res.WindowS, res.MBPerS)
	case result.ModeIdle:
		fmt.Fprintf(&b, ", opened in %.2f s", res.WindowS)
		if res.RSSPerConnB != 0 {
			fmt.Fprintf(&b, ": server RSS %d → %d KiB, %.0f B per connection", res.RSSBeforeKiB, res.RSSAfterKiB, res.RSSPerConnB)
		}
	}
	b.WriteString("\n   ")
	if res.Unit != "" {
		fmt.Fprintf(&b, " server CPU %.1f%% (%.2f µs user + %.2f µs sys per %s);",
			res.ServerCPUPct, res.ServerUserUS, res.ServerSysUS, res.Unit)
	}
	if res.ServerSyscalls > 0 {
		fmt.Fprintf(&b, " server system calls %.2f per %s;", res.ServerSyscalls, res.Unit)
	}
	c := res.ClientCPU
	fmt.Fprintf(&b, " client CPU %.1f%% (%.2f s user, %.2f s sys); softirq %.1f%%, other processes %.1f%%",
		c.Pct, c.UserS, c.SysS, res.SoftirqPct, res.OtherCPUPct)
	if res.Errors > 0 {
		fmt.Fprintf(&b, "; %d connection(s) FAILED, first: %s", res.Errors, res.FirstError)
	}
	for _, note := range res.Notes {
		fmt.Fprintf(&b, "\n    note: %s", note)
	}
	return b.String()
}
