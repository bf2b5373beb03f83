// Package conformance is starnet's differential suite: every scenario is one
// protocol written twice, in Starlark (run by the starnet CLI) and in Python
// (run by CPython 3.14's asyncio, the reference), driven by the same peer.
// Both print a trace of every callback with its arguments; the test
// normalises what differs from run to run (ports, pids, paths) and compares
// the traces line by line, as uvloop runs one test body under two loops.
//
// A scenario is a folder under scenarios/ (adding one needs no Go):
//
//	scenario.star  the Starlark program; it loads lib/conformance.star
//	scenario.py    the Python program; it imports lib/conformance.py
//	peer.py        optional: the peer, run by the system python3 (see below)
//	declared.txt   optional: a difference the project chose (docs/API.md §8),
//	               with the reason; the traces must then differ, and the
//	               reason is listed when the suite runs
//
// Both programs get as arguments a fresh temporary directory, a directory
// with TLS certificates (ca.pem, server.pem, server-key.pem for localhost
// and 127.0.0.1, client.pem, client-key.pem) and then every value the peer
// announced. The peer starts first and speaks by lines on stdout:
// "ARG value" announces an argument (a port, a path), "READY" lets the
// program start; every later line is the peer's own trace (what it saw),
// compared between the two runs as well. A program line "@peer TEXT" is
// not traced: the driver writes TEXT to the peer's stdin, which is closed
// once the program has exited. The peer gets the temporary and the
// certificate directories in CONFORMANCE_TMP and CONFORMANCE_PKI.
//
// CONFORMANCE_VERBOSE=1 logs both traces of every scenario; CONFORMANCE_SUMMARY=FILE
// writes the closing summary (the reference's version, the counts, every
// declared difference) to FILE, for a CI log that shows passing tests'
// output nowhere else.
//
// The reference interpreter is STARNET_REFERENCE_PYTHON, or the one
// tests/conformance/fetch-cpython.sh unpacks into its cache. Without it the
// suite is skipped with a message saying how to fetch it; with CI=true it
// fails instead.
package conformance

import (
	"bufio"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/require"
)

// runTimeout bounds one run of one side of a scenario.
const runTimeout = testkit.WaitTimeout

// starnetBin is the CLI built by TestMain.
var starnetBin string

// TestMain builds the CLI once for the package.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "starnet-conformance-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "temp dir: %v\n", err)
		os.Exit(1)
	}
	starnetBin = filepath.Join(dir, "starnet")
	out, err := exec.Command("go", "build", "-o", starnetBin, "../../cmd/starnet").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build ../../cmd/starnet: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// referencePython returns the CPython 3.14 interpreter to compare against,
// skipping (or in CI failing) the test when there is none.
func referencePython(t *testing.T) string {
	t.Helper()
	path := os.Getenv("STARNET_REFERENCE_PYTHON")
	if path == "" {
		path = defaultReferencePath()
	}
	if path != "" {
		out, err := exec.Command(path, "-c", "import sys; assert sys.version_info[:2] == (3, 14); print(sys.version.split()[0])").Output()
		if err == nil {
			return path + "\x00" + strings.TrimSpace(string(out))
		}
	}
	const how = "run tests/conformance/fetch-cpython.sh (it unpacks Debian sid's python3.14 into a cache) or set STARNET_REFERENCE_PYTHON"
	if testkit.InCI() {
		t.Fatalf("the conformance suite needs CPython 3.14 as its reference and found none at %q; .ci/run must %s", path, how)
	}
	t.Skipf("SKIP: the conformance suite needs CPython 3.14 as its reference (none at %q): %s; with CI=true this is a failure", path, how)
	return ""
}

// defaultReferencePath is where fetch-cpython.sh puts its wrapper.
func defaultReferencePath() string {
	if dir := os.Getenv("STARNET_CPYTHON_CACHE"); dir != "" {
		return filepath.Join(dir, "bin", "python3.14")
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "starnet", "cpython3.14", "bin", "python3.14")
}

// outcome is what became of one scenario.
type outcome int

const (
	matched outcome = iota
	declared
	differed
)

// tally counts the scenarios' outcomes for the suite's closing summary.
type tally struct {
	mu       sync.Mutex
	counts   [3]int
	declared []string
	differed []string
}

func (s *tally) add(name string, o outcome, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[o]++
	switch o {
	case declared:
		s.declared = append(s.declared, name+": "+reason)
	case differed:
		s.differed = append(s.differed, name)
	}
}

// TestScenarios runs every scenario under both runtimes and compares.
func TestScenarios(t *testing.T) {
	ref := referencePython(t)
	python, version := ref[:strings.IndexByte(ref, 0)], ref[strings.IndexByte(ref, 0)+1:]
	testkit.RequireTool(t, "python3")
	dirs, err := filepath.Glob("scenarios/*/scenario.star")
	require.NoError(t, err)
	require.NotEmpty(t, dirs, "no scenarios found")
	sort.Strings(dirs)
	pki := makePKI(t)
	lib, err := filepath.Abs("lib")
	require.NoError(t, err)
	var sum tally
	t.Run("scenario", func(t *testing.T) {
		for _, file := range dirs {
			dir := filepath.Dir(file)
			name := filepath.Base(dir)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				counted := false
				defer func() {
					if !counted { // stopped by a failure before the comparison
						sum.add(name, differed, "")
					}
				}()
				sc := loadScenario(t, dir)
				py := sc.run(t, "cpython", pki, []string{python, filepath.Join(sc.dir, "scenario.py")}, []string{"PYTHONPATH=" + lib})
				star := sc.run(t, "starnet", pki, []string{starnetBin, "run", "-A", filepath.Join(sc.dir, "scenario.star")}, nil)
				sum.add(name, sc.compare(t, star, py), sc.declared)
				counted = true
			})
		}
	})
	ran := sum.counts[matched] + sum.counts[declared] + sum.counts[differed]
	summary := fmt.Sprintf("conformance: compared against CPython %s (%s): %d of %d scenarios run, %d equal, %d declared differences, %d differing\n",
		version, python, ran, len(dirs), sum.counts[matched], sum.counts[declared], sum.counts[differed])
	for _, d := range sum.declared {
		summary += "declared: " + d + "\n"
	}
	for _, d := range sum.differed {
		summary += "differs: " + d + "\n"
	}
	t.Log(summary)
	if path := os.Getenv("CONFORMANCE_SUMMARY"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(summary), 0o644), "CONFORMANCE_SUMMARY")
	}
}

// makePKI writes the certificates the TLS scenarios use.
func makePKI(t *testing.T) string {
	t.Helper()
	ca := testpki.NewCA(t, &x509.Certificate{Subject: pkix.Name{CommonName: "conformance CA"}})
	ca.Issue("server", testpki.AddNames(&x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}}, "localhost", "127.0.0.1"))
	ca.Issue("client", &x509.Certificate{Subject: pkix.Name{CommonName: "conformance client"}})
	return ca.Dir
}

// scenario is one folder of scenarios/.
type scenario struct {
	dir      string
	peer     string // peer.py's text, "" when there is none
	declared string // declared.txt's text, "" when the traces must match
}

func loadScenario(t *testing.T, dir string) *scenario {
	t.Helper()
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	sc := &scenario{dir: abs}
	if b, err := os.ReadFile(filepath.Join(dir, "peer.py")); err == nil {
		sc.peer = string(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "declared.txt")); err == nil {
		sc.declared = strings.TrimSpace(string(b))
	}
	_, err = os.Stat(filepath.Join(dir, "scenario.py"))
	require.NoError(t, err, "every scenario has a scenario.py beside its scenario.star")
	return sc
}

// trace is what one side of a scenario printed, normalised.
type trace struct {
	side   string
	prog   []string // the program's trace, ending with its exit status
	peer   []string // the peer's trace
	stderr string   // the program's stderr, shown when the traces differ
}

// run plays one side: the peer, then the program, and collects both traces.
func (sc *scenario) run(t *testing.T, side, pki string, argv, env []string) trace {
	t.Helper()
	tmp := t.TempDir()
	var peer *testkit.Process
	args := []string{tmp, pki}
	if sc.peer != "" {
		cmd := exec.Command("python3", "-u", "-c", sc.peer)
		cmd.Env = append(os.Environ(), "CONFORMANCE_TMP="+tmp, "CONFORMANCE_PKI="+pki)
		cmd.Dir = sc.dir
		peer = testkit.Start(t, side+" peer", cmd)
		for {
			line := peer.ReadLine()
			if line == "READY" {
				break
			}
			v, ok := strings.CutPrefix(line, "ARG ")
			require.True(t, ok, "%s peer: a line before READY is not ARG: %q", side, line)
			args = append(args, v)
		}
	}
	cmd := exec.Command(argv[0], append(argv[1:], args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = sc.dir
	prog := testkit.Start(t, side, cmd)
	var out []string
	for {
		line, err := prog.AwaitLine("", runTimeout)
		if err != nil {
			break
		}
		if text, ok := strings.CutPrefix(line, "@peer "); ok {
			require.NotNil(t, peer, "%s: @peer line without a peer.py", side)
			_, err := fmt.Fprintln(peer.Stdin, text)
			require.NoError(t, err, "%s: write to the peer", side)
			continue
		}
		out = append(out, line)
	}
	out = append(out, exitLine(prog))
	tr := trace{side: side, stderr: prog.Stderr()}
	if peer != nil {
		_ = peer.Stdin.Close()
		select {
		case <-peer.Exited():
			if code := peer.State().ExitCode(); code != 0 {
				t.Errorf("%s peer exited %d (a peer must end cleanly):\n%s", side, code, peer.Stderr())
			}
		case <-time.After(runTimeout):
			peer.Kill()
			tr.peer = append(tr.peer, "(peer still running: killed)")
		}
		sc := bufio.NewScanner(strings.NewReader(peer.Unread()))
		for sc.Scan() {
			tr.peer = append(tr.peer, sc.Text())
		}
	}
	norm := normaliser(tmp, pki, args[2:])
	tr.prog = norm(out)
	tr.peer = norm(tr.peer)
	return tr
}

// exitLine waits for the program's exit and returns the trace's last line:
// its exit status, or that it was still running after runTimeout (then it
// is killed, and the traces differ rather than the test stopping).
func exitLine(prog *testkit.Process) string {
	select {
	case <-prog.Exited():
		return fmt.Sprintf("exit(%d)", prog.State().ExitCode())
	case <-time.After(runTimeout):
		prog.Kill()
		return "(still running: killed)"
	}
}

// Patterns for what differs from run to run.
var (
	portRE = regexp.MustCompile(`('(?:127\.0\.0\.1|::1|0\.0\.0\.0|::|localhost)', )\d+`)
	numRE  = regexp.MustCompile(`\b(pid|fd|port)=\d+`)
	// asyncio names a callback with where it was defined; starnet does not.
	atRE = regexp.MustCompile(` at [^ ]+:\d+`)
)

// normaliser returns a function that rewrites what varies between runs:
// the temporary and certificate directories, the peer's announced values,
// ports in addresses, pid=/fd=/port= numbers, where a callback was defined
// and the name of lambdas.
func normaliser(tmp, pki string, announced []string) func([]string) []string {
	// A Python lambda is named "<lambda>", a Starlark one "lambda".
	pairs := []string{tmp, "TMP", pki, "PKI", "<lambda>", "lambda"}
	for i, v := range announced {
		if len(v) >= 4 {
			pairs = append(pairs, v, fmt.Sprintf("ARG%d", i))
		}
	}
	r := strings.NewReplacer(pairs...)
	return func(lines []string) []string {
		out := make([]string, len(lines))
		for i, l := range lines {
			l = r.Replace(l)
			l = portRE.ReplaceAllString(l, "${1}PORT")
			l = numRE.ReplaceAllString(l, "${1}=N")
			out[i] = atRE.ReplaceAllString(l, "")
		}
		return out
	}
}

// compare compares the two sides' traces and reports the outcome.
func (sc *scenario) compare(t *testing.T, star, py trace) outcome {
	t.Helper()
	if os.Getenv("CONFORMANCE_VERBOSE") != "" {
		t.Logf("cpython:\n%s\npeer:\n%s\nstarnet:\n%s\npeer:\n%s", strings.Join(py.prog, "\n"),
			strings.Join(py.peer, "\n"), strings.Join(star.prog, "\n"), strings.Join(star.peer, "\n"))
	}
	progDiff := diff(py.prog, star.prog)
	peerDiff := diff(py.peer, star.peer)
	same := progDiff == "" && peerDiff == ""
	switch {
	case same && sc.declared == "":
		return matched
	case same:
		t.Errorf("declared difference no longer seen (remove declared.txt): %s", sc.declared)
		return differed
	case sc.declared != "":
		t.Logf("declared difference: %s\n%s%s", sc.declared, progDiff, peerDiff)
		return declared
	}
	msg := "traces differ (- cpython, + starnet)\n"
	if progDiff != "" {
		msg += "program:\n" + progDiff
	}
	if peerDiff != "" {
		msg += "peer:\n" + peerDiff
	}
	t.Errorf("%s--- starnet stderr:\n%s--- cpython stderr:\n%s", msg, star.stderr, py.stderr)
	return differed
}

// diff returns a line diff of a and b ("" when equal): common lines with
// "  ", a's with "- ", b's with "+ ", from a longest common subsequence.
func diff(a, b []string) string {
	if strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b) {
		return ""
	}
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var s strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			s.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			s.WriteString("+ " + b[j] + "\n")
			j++
		default:
			s.WriteString("- " + a[i] + "\n")
			i++
		}
	}
	return s.String()
}
