package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// metric is one column of a workload's table.
type metric struct {
	name string
	// value extracts the figure from a run; false when the run lacks it.
	value func(r *result.Result) (float64, bool)
	// ratio says whether the cell shows a ratio to the baseline.
	ratio bool
	// optional says that the column is shown only when some run of the
	// table has the figure, so that results made without it (older ones,
	// or runs that did not ask for it) print as they did.
	optional bool
}

// positive returns v, present only when it is above zero.
func positive(v float64) (float64, bool) { return v, v > 0 }

// latency returns a latency figure picked by pick.
func latency(pick func(l *result.Latency) float64) func(r *result.Result) (float64, bool) {
	return func(r *result.Result) (float64, bool) {
		if r.Latency == nil {
			return 0, false
		}
		return positive(pick(r.Latency))
	}
}

// serverCPU returns the server's CPU per unit (user or system).
func serverCPU(sys bool) func(r *result.Result) (float64, bool) {
	return func(r *result.Result) (float64, bool) {
		if r.Unit == "" {
			return 0, false
		}
		if sys {
			return r.ServerSysUS, true
		}
		return r.ServerUserUS, true
	}
}

// serverSyscalls is the column of the server's system calls per unit of
// work (loadgen -syscalls), named after the unit ("sysc/req").
func serverSyscalls(unit string) metric {
	return metric{
		name:     "sysc/" + unit,
		value:    func(r *result.Result) (float64, bool) { return positive(r.ServerSyscalls) },
		ratio:    true,
		optional: true,
	}
}

// shown returns the metrics to show for runs: all but the optional ones
// that none of the runs has.
func shown(metrics []metric, runs map[string][]*result.Result) []metric {
	var out []metric
	for _, m := range metrics {
		if !m.optional || anyRunHas(m, runs) {
			out = append(out, m)
		}
	}
	return out
}

// anyRunHas reports whether some run, of any server, has m's figure.
func anyRunHas(m metric, runs map[string][]*result.Result) bool {
	for _, rs := range runs {
		if len(values(m, rs)) > 0 {
			return true
		}
	}
	return false
}

// Columns shared by several modes.
var (
	srvCPUPct = metric{name: "srv %", value: func(r *result.Result) (float64, bool) { return r.ServerCPUPct, r.Unit != "" }}
	cliCPUPct = metric{name: "cli %", value: func(r *result.Result) (float64, bool) { return r.ClientCPU.Pct, true }}
	otherPct  = metric{name: "oth %", value: func(r *result.Result) (float64, bool) { return r.OtherCPUPct, r.Unit != "" }}
)

// metricsFor returns the columns of a mode's table.
func metricsFor(mode string) []metric {
	switch mode {
	case result.ModePingPong:
		return []metric{
			{name: "req/s", value: func(r *result.Result) (float64, bool) { return positive(r.ReqPerS) }, ratio: true},
			{name: "p50 µs", value: latency(func(l *result.Latency) float64 { return l.P50 }), ratio: true},
			{name: "p99 µs", value: latency(func(l *result.Latency) float64 { return l.P99 }), ratio: true},
			{name: "p99.9 µs", value: latency(func(l *result.Latency) float64 { return l.P999 }), ratio: true},
			{name: "usr µs/req", value: serverCPU(false), ratio: true},
			{name: "sys µs/req", value: serverCPU(true), ratio: true},
			serverSyscalls(result.UnitRequest),
			srvCPUPct, cliCPUPct, otherPct,
		}
	case result.ModeStream:
		return []metric{
			{name: "MB/s", value: func(r *result.Result) (float64, bool) { return positive(r.MBPerS) }, ratio: true},
			{name: "usr µs/MB", value: serverCPU(false), ratio: true},
			{name: "sys µs/MB", value: serverCPU(true), ratio: true},
			serverSyscalls(result.UnitMB),
			srvCPUPct, cliCPUPct, otherPct,
		}
	case result.ModeIdle:
		return []metric{
			{name: "RSS/conn B", value: func(r *result.Result) (float64, bool) { return r.RSSPerConnB, r.RSSAfterKiB > 0 }, ratio: true},
			{name: "RSS0 KiB", value: func(r *result.Result) (float64, bool) { return positive(float64(r.RSSBeforeKiB)) }, ratio: true},
			{name: "srv µs/conn", value: func(r *result.Result) (float64, bool) {
				return r.ServerUserUS + r.ServerSysUS, r.Unit != ""
			}, ratio: true},
			{name: "open s", value: func(r *result.Result) (float64, bool) { return positive(r.WindowS) }, ratio: true},
		}
	}
	return nil
}

// table is one workload's comparison, ready to print: the medians (with
// their ratios to the baseline), then the spreads.
type table struct {
	title   string
	header  []string
	rows    [][]string // median ×ratio
	spreads [][]string // min–max
	notes   []string
	errors  []string
}

// buildTables makes one table per workload, in the order workloads first
// appear; rows follow order, then any other server in order of appearance.
func buildTables(results []result.Result, baseline string, order []string) []table {
	var workloads []string
	byWorkload := map[string]map[string][]*result.Result{}
	var seen []string
	for i := range results {
		r := &results[i]
		if byWorkload[r.Workload] == nil {
			byWorkload[r.Workload] = map[string][]*result.Result{}
			workloads = append(workloads, r.Workload)
		}
		byWorkload[r.Workload][r.Server] = append(byWorkload[r.Workload][r.Server], r)
		if !slices.Contains(seen, r.Server) {
			seen = append(seen, r.Server)
		}
	}
	servers := slices.Clone(order)
	for _, s := range seen {
		if !slices.Contains(servers, s) {
			servers = append(servers, s)
		}
	}
	var tables []table
	for _, w := range workloads {
		tables = append(tables, buildTable(w, byWorkload[w], servers, baseline))
	}
	return tables
}

// buildTable makes the table of one workload.
func buildTable(workload string, runs map[string][]*result.Result, servers []string, baseline string) table {
	var first *result.Result
	for _, s := range servers {
		if len(runs[s]) > 0 {
			first = runs[s][0]
			break
		}
	}
	metrics := shown(metricsFor(first.Mode), runs)
	t := table{title: describe(workload, first)}
	t.header = []string{"server", "runs"}
	for _, m := range metrics {
		t.header = append(t.header, m.name)
	}
	t.header = append(t.header, "errors")
	for _, s := range servers {
		rs := runs[s]
		if len(rs) == 0 {
			continue
		}
		row := []string{s, strconv.Itoa(len(rs))}
		spread := []string{s, ""}
		for _, m := range metrics {
			med, mm := cell(m, rs, runs[baseline], s == baseline)
			row = append(row, med)
			spread = append(spread, mm)
		}
		row = append(row, errorCell(rs))
		t.rows = append(t.rows, row)
		t.spreads = append(t.spreads, spread)
		t.notes = append(t.notes, tlsNotes(s, rs)...)
		for _, r := range rs {
			if r.Errors > 0 {
				t.errors = append(t.errors, fmt.Sprintf("%s round %d: %d failed, first: %s", s, r.Round, r.Errors, r.FirstError))
			}
		}
	}
	t.notes = mergeTLSNotes(t.notes)
	return t
}

// tlsNotes says what TLS version and cipher suite a server's runs
// negotiated, one "server: TLS" entry per distinct value.
func tlsNotes(server string, rs []*result.Result) []string {
	var notes []string
	for _, r := range rs {
		if r.TLS == "" {
			continue
		}
		if n := server + ": " + r.TLS; !slices.Contains(notes, n) {
			notes = append(notes, n)
		}
	}
	return notes
}

// mergeTLSNotes turns the servers' TLS notes into one note when every
// server negotiated the same, so that a difference stands out.
func mergeTLSNotes(notes []string) []string {
	if len(notes) == 0 {
		return nil
	}
	var common string
	for i, n := range notes {
		_, tls, _ := strings.Cut(n, ": ")
		if i > 0 && tls != common {
			return prefixAll("TLS ", notes)
		}
		common = tls
	}
	return []string{"TLS (every server): " + common}
}

// prefixAll returns each of ss with prefix in front.
func prefixAll(prefix string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = prefix + s
	}
	return out
}

// describe titles a workload's table from one of its runs.
func describe(workload string, r *result.Result) string {
	switch r.Mode {
	case result.ModeIdle:
		return fmt.Sprintf("%s — idle, %d connections held", workload, r.Conns)
	case result.ModePingPong:
		over := ""
		if r.TLS != "" {
			over = " over TLS"
		}
		return fmt.Sprintf("%s — ping-pong%s, %d conns × %d B, %.0f s window, client engine %s", workload, over, r.Conns, r.Size, r.WindowS, r.Engine)
	default:
		return fmt.Sprintf("%s — %s, %d conns × %d B, %.0f s window", workload, r.Mode, r.Conns, r.Size, r.WindowS)
	}
}

// cell formats one metric over a server's runs: the median with its ratio
// to the baseline's median ("480 ×0.95"), and the spread ("450–500").
func cell(m metric, rs, base []*result.Result, isBaseline bool) (median, spread string) {
	vals := values(m, rs)
	if len(vals) == 0 {
		return "–", "–"
	}
	med := medianOf(vals)
	median = formatNum(med)
	spread = formatNum(slices.Min(vals)) + "–" + formatNum(slices.Max(vals))
	if !m.ratio {
		return median, spread
	}
	switch bv := values(m, base); {
	case isBaseline:
		median += " ×1"
	case len(bv) > 0 && medianOf(bv) != 0:
		median += " ×" + strconv.FormatFloat(med/medianOf(bv), 'f', 2, 64)
	}
	return median, spread
}

// errorCell sums the failed connections over the runs.
func errorCell(rs []*result.Result) string {
	total := 0
	for _, r := range rs {
		total += r.Errors
	}
	return strconv.Itoa(total)
}

// values collects a metric over runs, skipping runs that lack it.
func values(m metric, rs []*result.Result) []float64 {
	var out []float64
	for _, r := range rs {
		if v, ok := m.value(r); ok {
			out = append(out, v)
		}
	}
	return out
}

// medianOf returns the median of vals (the mean of the middle two for an
// even count); vals must not be empty.
func medianOf(vals []float64) float64 {
	s := slices.Clone(vals)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// formatNum prints v with about three significant digits, with a k or M
// suffix for large values.
func formatNum(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 10e6:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case a >= 100e3:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case a >= 10e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// write prints the table with aligned columns: a row of medians per
// server, then a row of spreads per server.
func (t table) write(out io.Writer) {
	fmt.Fprintln(out, t.title)
	all := append(append([][]string{t.header}, t.rows...), t.spreads...)
	widths := make([]int, len(t.header))
	for _, row := range all {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		writeRow(out, row, widths)
	}
	fmt.Fprintln(out, "  min–max:")
	for _, row := range t.spreads {
		writeRow(out, row, widths)
	}
	for _, n := range t.notes {
		fmt.Fprintln(out, "  "+n)
	}
	for _, e := range t.errors {
		fmt.Fprintln(out, "  ! "+e)
	}
}

// writeRow prints one row, the first column left-aligned, the others right.
func writeRow(out io.Writer, row []string, widths []int) {
	var b strings.Builder
	for i, c := range row {
		pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
		if i == 0 {
			b.WriteString(c + pad)
		} else {
			b.WriteString("  " + pad + c)
		}
	}
	fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
}
