//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perfTimeout bounds every wait on perf (its start, the acknowledgement of
// each command, its exit), so that a stuck perf cannot hang the run.
const perfTimeout = 5 * time.Second

// perfStat is a running "perf stat" that counts syscallEvent in one process
// (all its threads, and those they start) while enabled through perf's
// control FIFO. Its FIFOs and output file live in a temporary directory
// that close removes.
type perfStat struct {
	dir      string
	ctl, ack *os.File    // our ends of the control and acknowledgement FIFOs
	acks     chan string // the lines perf writes to the acknowledgement FIFO
	cmd      *exec.Cmd
	stderr   bytes.Buffer  // what perf says; read only once exited is closed
	exited   chan struct{} // closed when perf has exited
	waitErr  error         // perf's exit status, once exited is closed
}

// startPerfStat starts perf stat on process pid with its counter disabled,
// and returns once the counter is in place.
func startPerfStat(pid int) (*perfStat, error) {
	path, err := exec.LookPath("perf")
	if err != nil {
		return nil, fmt.Errorf("perf stat: %w", err)
	}
	dir, err := os.MkdirTemp("", "loadgen-perf-")
	if err != nil {
		return nil, fmt.Errorf("perf stat: %w", err)
	}
	p := &perfStat{dir: dir, acks: make(chan string, 8)}
	if err := p.start(path, pid); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// start opens the FIFOs, starts perf and waits until its counter is ready.
func (p *perfStat) start(path string, pid int) error {
	if err := p.openFIFOs(); err != nil {
		return fmt.Errorf("perf stat: %w", err)
	}
	if err := p.run(path, pid); err != nil {
		return fmt.Errorf("perf stat: %w", err)
	}
	// perf opens its counter before it reads the control FIFO, so the
	// acknowledgement of a "disable" (a no-op: the counter starts
	// disabled) says that the counter is ready.
	return p.command("disable")
}

// path names a file in p's temporary directory.
func (p *perfStat) path(name string) string { return filepath.Join(p.dir, name) }

// openFIFOs makes the control and acknowledgement FIFOs and opens our ends
// read-write, which never blocks (perf opens its ends later), and starts
// collecting perf's acknowledgements.
func (p *perfStat) openFIFOs() error {
	for _, name := range []string{"ctl", "ack"} {
		if err := syscall.Mkfifo(p.path(name), 0o600); err != nil {
			return fmt.Errorf("mkfifo %s: %w", p.path(name), err)
		}
	}
	var err error
	if p.ctl, err = os.OpenFile(p.path("ctl"), os.O_RDWR, 0); err != nil {
		return err
	}
	if p.ack, err = os.OpenFile(p.path("ack"), os.O_RDWR, 0); err != nil {
		return err
	}
	go p.readAcks()
	return nil
}

// readAcks passes the acknowledgement FIFO's lines to p.acks until the FIFO
// is closed, dropping lines nobody waits for rather than blocking. perf
// writes "ack\n" with the string's terminating NUL byte, which would start
// the next line: NUL bytes are dropped.
func (p *perfStat) readAcks() {
	sc := bufio.NewScanner(p.ack)
	for sc.Scan() {
		select {
		case p.acks <- strings.Trim(sc.Text(), "\x00"):
		default:
		}
	}
}

// run starts perf stat on pid, counting syscallEvent into the output file,
// its counter disabled until the control FIFO says "enable".
func (p *perfStat) run(path string, pid int) error {
	p.cmd = exec.Command(path, "stat", "-e", syscallEvent, "-p", strconv.Itoa(pid),
		"-x,", "-o", p.path("out.csv"),
		"--control", "fifo:"+p.path("ctl")+","+p.path("ack"), "-D", "-1")
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = perfTimeout // should perf leave its stderr open to a child
	if err := p.cmd.Start(); err != nil {
		return err
	}
	p.exited = make(chan struct{})
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// command sends perf a control command ("enable", "disable") and waits,
// for at most perfTimeout, for its acknowledgement.
func (p *perfStat) command(cmd string) error {
	if _, err := p.ctl.WriteString(cmd + "\n"); err != nil {
		return fmt.Errorf("perf stat: %s: %w", cmd, err)
	}
	timer := time.NewTimer(perfTimeout)
	defer timer.Stop()
	select {
	case reply := <-p.acks:
		if reply != "ack" {
			return fmt.Errorf("perf stat: %s: perf replied %q, want \"ack\"", cmd, reply)
		}
		return nil
	case <-p.exited:
		return fmt.Errorf("perf stat: exited before acknowledging %q: %w", cmd, p.exitErr())
	case <-timer.C:
		return fmt.Errorf("perf stat: no acknowledgement of %q within %v", cmd, perfTimeout)
	}
}

// enable starts counting.
func (p *perfStat) enable() error { return p.command("enable") }

// stop stops counting, ends perf (SIGINT, which makes it write its output)
// and returns the count. p is closed when it returns.
func (p *perfStat) stop() (uint64, error) {
	defer p.close()
	if err := p.command("disable"); err != nil {
		return 0, err
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		return 0, fmt.Errorf("perf stat: interrupt: %w", err)
	}
	timer := time.NewTimer(perfTimeout)
	defer timer.Stop()
	select {
	case <-p.exited:
	case <-timer.C:
		return 0, fmt.Errorf("perf stat: still running %v after SIGINT", perfTimeout)
	}
	out, err := os.ReadFile(p.path("out.csv"))
	if err != nil {
		return 0, fmt.Errorf("perf stat: %w (%w)", err, p.exitErr())
	}
	n, err := parsePerfCount(string(out), syscallEvent)
	if err != nil {
		return 0, fmt.Errorf("perf stat: %w", err)
	}
	return n, nil
}

// exitErr describes how perf ended, with what it said on standard error;
// call it only once p.exited is closed.
func (p *perfStat) exitErr() error {
	var lines []string
	for line := range strings.Lines(p.stderr.String()) {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			lines = append(lines, line)
		}
	}
	said := strings.Join(lines, "; ")
	if len(said) > 300 {
		said = said[:300] + "…"
	}
	status := "exit status 0"
	if p.waitErr != nil {
		status = p.waitErr.Error()
	}
	if said == "" {
		return errors.New(status)
	}
	return fmt.Errorf("%s: %s", status, said)
}

// close kills perf if it is still running and waits (at most perfTimeout)
// for it to exit, closes the FIFOs and removes the temporary directory.
func (p *perfStat) close() {
	if p.exited != nil {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			timer := time.NewTimer(perfTimeout)
			select {
			case <-p.exited:
			case <-timer.C:
			}
			timer.Stop()
		}
	}
	for _, f := range []*os.File{p.ctl, p.ack} {
		if f != nil {
			_ = f.Close()
		}
	}
	_ = os.RemoveAll(p.dir)
}
