// Command loadgen is the load generator of starnet's echo benchmarks. It
// drives an echo server (one that sends back every byte it receives and
// closes on EOF) over loopback in one of three modes:
//
//   - pingpong: N connections each send an S-byte message and wait for all
//     of it to come back, over and over, for D seconds. Reports round trips
//     per second, MB/s echoed, and latency percentiles from a log-linear
//     histogram.
//   - stream: N connections each write S-byte chunks as fast as the server
//     takes them while reading the echo. Reports MB/s echoed.
//   - idle: opens N connections (each proves the server accepted it with a
//     one-byte echo), holds them, and reports the server's resident memory
//     per connection, relative to its RSS before connecting.
//
// Given the server's -pid (Linux), it reports the server's user and system
// CPU time per request (per MB for stream, per connection for idle), from
// /proc/PID/stat over the measured window; it always reports its own CPU use,
// so a run that was limited by the client shows as one. The result is one
// JSON line on standard output; a human summary goes to standard error.
//
// With -syscalls as well (Linux, ping-pong and stream), it also reports the
// system calls the server made per request (per MB for stream) over the
// measured window: it runs "perf stat -e raw_syscalls:sys_enter -p PID"
// (perf must be installed, and the tracepoint readable: run as root) with
// its counter disabled, enables the counter through perf's control FIFO
// as the window starts and disables it as the window ends. Keeping the
// tracepoint open makes every system call on the machine slightly dearer,
// so compare CPU figures between runs made with the same setting. When perf
// cannot count, the run still succeeds and a note says why.
//
// The client is built to cost little CPU: GOMAXPROCS is 1 unless -procs says
// otherwise, buffers are allocated once, and recording a latency is an array
// increment. On Linux, ping-pong runs on one thread with epoll and raw
// non-blocking sockets (-engine epoll): a round trip costs one write and one
// read system call. -engine goroutines (the default elsewhere) gives each
// connection a goroutine doing blocking net.Conn I/O, which costs about 7%
// more CPU per round trip (a read that finds no data before each echo).
// Stream and idle modes use goroutines.
//
// With -tls, ping-pong runs over TLS (crypto/tls, goroutines engine): every
// connection completes its handshake before the warm-up, so the window
// measures record encryption and decryption only, and the result names the
// version and cipher suite negotiated. The client trusts the certificates
// in -tls-ca, or without it skips verifying the server's (throw-away)
// certificate; it offers Go's default cipher suites, so a server that
// follows the client's preference uses AES-128-GCM where AES-NI exists.
//
// Usage:
//
//	loadgen -addr 127.0.0.1:PORT [-mode pingpong|stream|idle] [-conns N]
//	        [-size BYTES] [-duration 5s] [-warmup 1s] [-pid SERVER_PID]
//	        [-server NAME] [-workload NAME] [-round N] [-engine epoll|goroutines]
//	        [-tls [-tls-ca CA.pem]] [-syscalls]
//
// The exit status is 0 when the run succeeded, 1 when it could not run,
// and 3 when it ran but some connections failed (the JSON line is written
// and says how).
package main

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	goruntime "runtime"
	"time"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// config holds the command-line settings of one run.
type config struct {
	addr        string
	mode        string
	conns       int
	size        int
	duration    time.Duration
	warmup      time.Duration
	hold        time.Duration
	timeout     time.Duration
	pid         int
	server      string
	workload    string
	round       int
	procs       int
	dialWorkers int
	engine      string
	quiet       bool
	useTLS      bool
	tlsCA       string
	syscalls    bool
	// tls is the client configuration built from -tls and -tls-ca; nil
	// for plain TCP.
	tls *tls.Config
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp):
			os.Exit(0)
		case !errors.Is(err, errBadFlags): // the flag package printed those
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(2)
	}
	goruntime.GOMAXPROCS(cfg.procs)
	res, err := run(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %s %s: %v\n", cfg.server, cfg.workload, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: write result:", err)
		os.Exit(1)
	}
	if !cfg.quiet {
		fmt.Fprintln(os.Stderr, summary(res))
	}
	if res.Errors > 0 {
		os.Exit(3)
	}
}

// errBadFlags marks a command line the flag package rejected (and reported).
var errBadFlags = errors.New("bad command line")

// parseFlags reads the command line into a config and checks it.
func parseFlags(args []string, usageOut io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.StringVar(&cfg.addr, "addr", "", "server address host:port (required; loopback only)")
	fs.StringVar(&cfg.mode, "mode", result.ModePingPong, "pingpong, stream or idle")
	fs.IntVar(&cfg.conns, "conns", 50, "number of connections")
	fs.IntVar(&cfg.size, "size", 64, "message size (pingpong) or write size (stream), in bytes")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured window (pingpong, stream)")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "load before the measured window starts (pingpong, stream)")
	fs.DurationVar(&cfg.hold, "hold", time.Second, "how long idle mode holds the connections before reading RSS")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "bound on a dial, and on draining connections after the window")
	fs.IntVar(&cfg.pid, "pid", 0, "server process id, for its CPU time and RSS (Linux)")
	fs.StringVar(&cfg.server, "server", "server", "server name written in the result")
	fs.StringVar(&cfg.workload, "workload", "", "workload name written in the result (default: mode-conns-size)")
	fs.IntVar(&cfg.round, "round", 0, "round number written in the result")
	fs.IntVar(&cfg.procs, "procs", 1, "GOMAXPROCS of the load generator")
	fs.IntVar(&cfg.dialWorkers, "dial-workers", 8, "connections opened at once (idle mode)")
	fs.StringVar(&cfg.engine, "engine", defaultEngine, "ping-pong engine: epoll (one thread, Linux) or goroutines (one per connection)")
	fs.BoolVar(&cfg.quiet, "quiet", false, "do not print the human summary")
	fs.BoolVar(&cfg.useTLS, "tls", false, "ping-pong over TLS (goroutines engine; handshakes before the warm-up)")
	fs.StringVar(&cfg.tlsCA, "tls-ca", "", "PEM file of the CA that signed the server's certificate (-tls; default: do not verify)")
	fs.BoolVar(&cfg.syscalls, "syscalls", false, "count the server's system calls per unit with perf (needs -pid and Linux perf; pingpong, stream)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, fmt.Errorf("%w: %w", errBadFlags, err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.workload == "" {
		cfg.workload = fmt.Sprintf("%s-%d-%d", cfg.mode, cfg.conns, cfg.size)
	}
	if cfg.useTLS && !flagSet(fs, "engine") {
		cfg.engine = engineGoroutines // the epoll engine speaks plain TCP only
	}
	if err := cfg.validate(); err != nil {
		return cfg, err
	}
	if cfg.useTLS {
		tlsCfg, err := clientTLSConfig(cfg.tlsCA)
		if err != nil {
			return cfg, err
		}
		cfg.tls = tlsCfg
	}
	return cfg, nil
}

// flagSet reports whether the command line set the flag called name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// validate rejects settings that cannot make a run.
func (c config) validate() error {
	switch {
	case c.addr == "":
		return errors.New("-addr is required")
	case !isLoopback(c.addr):
		return fmt.Errorf("-addr %s: only loopback addresses (127.0.0.0/8, ::1, localhost) may be loaded", c.addr)
	case c.mode != result.ModePingPong && c.mode != result.ModeStream && c.mode != result.ModeIdle:
		return fmt.Errorf("-mode %q: want pingpong, stream or idle", c.mode)
	case c.conns < 1:
		return fmt.Errorf("-conns %d: want at least 1", c.conns)
	case c.size < 1:
		return fmt.Errorf("-size %d: want at least 1", c.size)
	case c.duration <= 0:
		return fmt.Errorf("-duration %v: want more than 0", c.duration)
	case c.warmup < 0 || c.hold < 0:
		return errors.New("-warmup and -hold cannot be negative")
	case c.timeout <= 0:
		return fmt.Errorf("-timeout %v: want more than 0", c.timeout)
	case c.procs < 1:
		return fmt.Errorf("-procs %d: want at least 1", c.procs)
	case c.dialWorkers < 1:
		return fmt.Errorf("-dial-workers %d: want at least 1", c.dialWorkers)
	case c.engine != engineGoroutines && c.engine != engineEpoll:
		return fmt.Errorf("-engine %q: want epoll or goroutines", c.engine)
	case c.engine == engineEpoll && defaultEngine != engineEpoll:
		return errors.New("-engine epoll needs Linux; use -engine goroutines")
	case c.useTLS && c.mode != result.ModePingPong:
		return fmt.Errorf("-tls works with -mode pingpong only, not %q", c.mode)
	case c.useTLS && c.engine != engineGoroutines:
		return errors.New("-tls needs -engine goroutines")
	case c.tlsCA != "" && !c.useTLS:
		return errors.New("-tls-ca needs -tls")
	}
	return nil
}

// isLoopback reports whether addr is host:port with a loopback host.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// run performs the run cfg describes.
func run(cfg config) (*result.Result, error) {
	res := &result.Result{
		Server:   cfg.server,
		Workload: cfg.workload,
		Round:    cfg.round,
		Mode:     cfg.mode,
		Conns:    cfg.conns,
		Size:     cfg.size,
	}
	var err error
	switch cfg.mode {
	case result.ModePingPong:
		err = runPingPong(cfg, res)
	case result.ModeStream:
		err = runStream(cfg, res)
	case result.ModeIdle:
		err = runIdle(cfg, res)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}
