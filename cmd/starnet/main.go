// Command starnet runs Starlark scripts that use asyncio's transports and
// protocols.
//
//	starnet run [flags] script.star [args...]
//	starnet check script.star...
//	starnet version
//
// Run `starnet help` for the flags. Exit status: 0 when the script's loop ran
// out of work or loop.stop() was called; exit(code)'s code; 1 when the top
// level or main failed, or when a failure of the script's code reached the
// default exception handler (a run that would end with 0 ends with 1); 2
// for usage errors; 3 when the heap stayed over --max-memory; 130/143
// after SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	policy "github.com/starnet-dev/starnet/internal/permissions"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	starnet "github.com/starnet-dev/starnet/runtime"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitMemory  = 3 // the heap stayed over --max-memory (starnet.MemoryError)
)

func main() {
	// Children get only the descriptors a script hands them, never those
	// starnet inherited from its own parent.
	if err := policy.CloseInheritedOnExec(); err != nil {
		fmt.Fprintf(os.Stderr, "starnet: marking inherited descriptors close-on-exec: %v\n", err)
		os.Exit(exitFailure)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one starnet command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "no command given", "")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		return runScript(rest, stdout, stderr)
	case "check":
		if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help") {
			fmt.Fprint(stdout, checkUsage)
			return exitOK
		}
		return checkScripts(rest, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, versionString())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage())
		return exitOK
	default:
		return usageError(stderr, fmt.Sprintf("unknown command %q (the commands are run, check, version and help)", cmd), "")
	}
}

// runScript implements `starnet run`.
func runScript(args []string, stdout, stderr io.Writer) int {
	opts, err := parseRunArgs(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, runUsage())
		return exitOK
	}
	if err != nil {
		return usageError(stderr, "run: "+strings.TrimPrefix(err.Error(), "run: "), "run")
	}
	rt, err := starnet.New(starnet.Config{
		Permissions:   opts.perms,
		Stdout:        stdout,
		Stderr:        stderr,
		MaxSteps:      opts.maxSteps,
		MaxMemory:     opts.maxMemory,
		MaxChildren:   opts.maxChild,
		Debug:         opts.debug,
		Args:          opts.args,
		Loops:         opts.loops,
		HandleSignals: true,
	})
	if err != nil {
		return usageError(stderr, err.Error(), "run")
	}
	defer rt.Close()
	status, err := runModule(rt, opts, stderr)
	noteMisplacedFlags(rt, err, opts, stderr)
	return status
}

// runModule executes the script, its main and the loop, and returns the
// exit status and the error that ended the run, if any.
func runModule(rt *starnet.Runtime, opts runOptions, stderr io.Writer) (int, error) {
	mod, err := rt.ExecFile(opts.script)
	if err != nil {
		return failure(stderr, err), err
	}
	if err := mod.CallMain(opts.args); err != nil {
		return failure(stderr, err), err
	}
	err = rt.Run(context.Background())
	var exit *starnet.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.Code, nil
	case err != nil:
		return failure(stderr, err), err
	}
	return unhandledStatus(rt, opts.debug, stderr), nil
}

// unhandledStatus closes rt (which reports a failed task nobody awaited)
// and returns the status of a run that would end with 0: 1 when a failure
// of the script's code reached the default exception handler (as Node and
// Deno end with 1 after an uncaught error), which --debug lists.
func unhandledStatus(rt *starnet.Runtime, debug bool, stderr io.Writer) int {
	if err := rt.Close(); err != nil {
		return failure(stderr, err)
	}
	failures := rt.Failures()
	if len(failures) == 0 {
		return exitOK
	}
	if debug {
		fmt.Fprintln(stderr, starnet.FailureSummary(failures))
	}
	return exitFailure
}

// checkScripts implements `starnet check`: every problem of every file is
// printed on stderr; the status is 1 if there was any.
func checkScripts(paths []string, stderr io.Writer) int {
	if len(paths) == 0 {
		return usageError(stderr, "check: no script given", "check")
	}
	status := exitOK
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = exitFailure
			continue
		}
		for _, e := range starnet.Check(path, src) {
			fmt.Fprintln(stderr, e)
			status = exitFailure
		}
	}
	return status
}

// noteMisplacedFlags says so when a flag the script was refused came
// after the script path (where it is one of the script's arguments): the
// PermissionError asks for a flag the user did type.
func noteMisplacedFlags(rt *starnet.Runtime, err error, opts runOptions, stderr io.Writer) {
	var texts []string
	if err != nil {
		texts = append(texts, err.Error())
	}
	for _, f := range rt.Failures() {
		texts = append(texts, f.String())
	}
	for _, flag := range misplacedFlags(opts.args, texts) {
		fmt.Fprintf(stderr, "starnet: %s came after the script path, so it was passed to the script; put it before the path (starnet run %s %s ...)\n", flag, flag, opts.script)
	}
}

// permissionFix finds the flag a PermissionError asks for.
var permissionFix = regexp.MustCompile(`run with (--allow-[a-z]+|-A)`)

// misplacedFlags returns the script arguments that are the flag one of
// texts (error messages) asks for, each once.
func misplacedFlags(args, texts []string) []string {
	wanted := map[string]bool{}
	for _, t := range texts {
		for _, m := range permissionFix.FindAllStringSubmatch(t, -1) {
			wanted[m[1]] = true
		}
	}
	var found []string
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if (wanted[name] || name == "-A" || name == "--allow-all") && len(wanted) > 0 && !slices.Contains(found, a) {
			found = append(found, a)
		}
	}
	return found
}

// failure prints err (a traceback for a script error) and returns status 1,
// or 3 when the memory watcher ended the run.
func failure(stderr io.Writer, err error) int {
	var mem *starnet.MemoryError
	if errors.As(err, &mem) {
		fmt.Fprintf(stderr, "starnet: %v\n", err)
		return exitMemory
	}
	fmt.Fprintln(stderr, starnet.FormatError(err))
	return exitFailure
}

// usageError prints msg and where to find the usage of cmd ("" for the
// whole command), and returns status 2: one line that matters, not a page
// that hides it.
func usageError(stderr io.Writer, msg, cmd string) int {
	help := "starnet --help"
	if cmd != "" {
		help = "starnet " + cmd + " --help"
	}
	fmt.Fprintf(stderr, "starnet: %s\nRun '%s' for usage.\n", msg, help)
	return exitUsage
}

// usage returns the whole usage text, with this machine's --max-memory
// default.
func usage() string { return commandsText + "\n" + runUsage() + "\n" + checkUsage }

// runUsage returns `starnet run --help`'s text.
func runUsage() string {
	return fmt.Sprintf(runUsageText, starnet.FormatMemorySize(starnet.DefaultMaxMemory()))
}

const commandsText = `usage:
  starnet run [flags] script.star [args...]
  starnet check script.star...
  starnet version
  starnet help
`

const checkUsage = `usage: starnet check script.star...

Parses and resolves each script and checks the shape of its protocols
(callback names and their parameters) and the Python habits the source
shows (a % format with a width, a format spec in str.format, a method
called on a bytes literal, a function reading a global it also assigns),
without running anything. Each problem is a line, and a "hint:" line
says what to write instead. Exit status 0 when every script is fine, 1
otherwise.
`

const runUsageText = `usage: starnet run [flags] script.star [args...]

Runs the script: its top level, then main(argv) with the args, then the
event loop until no work is left.

flags (before the script path; everything after it goes to the script):
  --allow-net[=LIST]     connect, listen, send datagrams; LIST of host, host:port,
                         :port, CIDR or unix:@name, comma-separated; no LIST = any
  --allow-run[=LIST]     start subprocesses (program names or paths)
  --allow-read[=PATHS]   read files, FIFOs, certificates, Unix socket paths
  --allow-write[=PATHS]  write files, FIFOs, Unix socket paths
  --allow-env[=LIST]     read environment variables (LIST of names); no LIST = all
  -A, --allow-all        all of the above
  --loops N              run N copies of the script, one event loop (thread)
                         each; their servers share ports (SO_REUSEPORT)
  --max-steps N          Starlark steps one callback may take (default 100000000;
                         0 = no limit)
  --max-memory SIZE      bound on the process's heap, checked every few ms: the
                         callback running when it is passed is cancelled with a
                         MemoryError; if the heap stays over it, the run ends
                         with status 3. SIZE as 512MiB, 2G, 1.5GiB (units are
                         powers of 1024); 0 or none = no limit; default: half
                         of the machine's memory (here %s)
  --max-children N       child processes the script may have running at once
                         (default 256; 0 = no limit but the kernel's)
  --debug                asyncio debug mode: report slow callbacks and unclosed
                         transports; list the failures that made the status 1

exit status: 0 when the loop ran out of work, loop.stop() or exit(0); exit(n)'s
n; 1 when the top level or main failed, or when a callback failure reached
the default exception handler (a script's loop.set_exception_handler decides
for itself); 2 for usage errors; 3 over --max-memory; 130/143 after
SIGINT/SIGTERM.
`
