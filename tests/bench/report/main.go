// Command report turns the load generator's JSON lines into the comparison
// table of starnet's echo benchmarks: for each workload and server, the
// median of every figure over the rounds, its spread (min–max), and its ratio
// to the baseline server's median measured in the same runs.
//
//	report [-baseline uvloop] [-servers a,b,...] results.jsonl...
//
// With no file it reads standard input. -servers sets the row order (by
// default, the order in which servers first appear).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// run reads the results named by args (or stdin) and writes the tables to out.
func run(args []string, stdin io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	baseline := fs.String("baseline", "uvloop", "server the ratios are relative to")
	order := fs.String("servers", "", "comma-separated row order (default: order of appearance)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	results, err := readResults(fs.Args(), stdin)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return errors.New("no results to report")
	}
	var servers []string
	if *order != "" {
		servers = strings.Split(*order, ",")
	}
	for _, t := range buildTables(results, *baseline, servers) {
		t.write(out)
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "Each table: medians over the runs with their ratio to %s's median (×), then each figure's min–max.\n", *baseline)
	fmt.Fprintln(out, "req/s, MB/s: higher is better; latency (µs), server CPU per unit (usr, sys µs) and RSS: lower is better.")
	fmt.Fprintln(out, "srv %, cli %: server and client CPU in percent of one core; a cli % near 100 means the client limited the run.")
	fmt.Fprintln(out, "oth %: CPU other processes used meanwhile (a high figure marks a disturbed run). RSS0: server RSS before connecting.")
	if hasSyscalls(results) {
		fmt.Fprintln(out, "sysc/req, sysc/MB: system calls the server made per request or MB (perf's raw_syscalls:sys_enter, loadgen -syscalls): lower is better.")
	}
	return nil
}

// hasSyscalls reports whether some result counts the server's system calls.
func hasSyscalls(results []result.Result) bool {
	for _, r := range results {
		if r.ServerSyscalls > 0 {
			return true
		}
	}
	return false
}

// readResults reads every file, or stdin when there is none.
func readResults(paths []string, stdin io.Reader) ([]result.Result, error) {
	if len(paths) == 0 {
		return result.ReadAll(stdin)
	}
	var all []result.Result
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open results: %w", err)
		}
		rs, err := result.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		all = append(all, rs...)
	}
	return all, nil
}
