package starlarkbind

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/starnet-dev/starnet/transports"
	"golang.org/x/sys/unix"
)

// --allow-run (API.md "Running a script"): starting a subprocess is denied unless an entry
// of Permissions.Run allows the program.
//
// An entry is a program name ("ls"), a path ("/usr/bin/ls"), or "*". The
// program is resolved as the child will resolve it: a name through the
// PATH of the child's environment (env=, else starnet's own), a path
// relative to the child's working directory (cwd=). Then:
//
//   - a path entry allows the program that resolves to that file;
//   - a name entry allows the program that resolves to the same file as
//     the name resolves to through starnet's own PATH: "ls" allows both
//     "ls" and "/usr/bin/ls". A script cannot slip another file past a name
//     entry by giving the child a PATH of its own.
//
// Files are the same when their paths are equal, or equal once symbolic
// links are resolved (on a merged-/usr system "/bin/ls" is "/usr/bin/ls").
//
// subprocess_shell runs "/bin/sh -c cmd": it needs the shell itself
// allowed, as "sh", "/bin/sh" or a path to the same file. The command line
// is not inspected: allowing the shell allows every command it can run.

// A child's environment: without --allow-env a script cannot read
// starnet's environment, so neither can its children. A child started with
// env=None then gets only childEnvKept of starnet's variables (the search
// path, the locale, the terminal type and the time zone: what programs need
// to behave, nothing that is usually secret) and those --allow-env=LIST
// names; with a bare --allow-env it gets starnet's whole environment, as
// in Python. An explicit env= is the
// child's whole environment either way.
//
// The dynamic loader's variables (LD_PRELOAD, LD_LIBRARY_PATH, ...,
// DYLD_* on macOS) make any allowed program run code of the script's
// choosing, outside every check; as Deno does, a script may set them only
// when it has every permission.

// childEnvKept are the variables a child inherits without --allow-env: the
// names, and the prefixes ending in "_".
var childEnvKept = []string{"PATH", "LANG", "LANGUAGE", "LC_", "TERM", "TZ"}

// childEnv returns the environment a child gets for the script's env=
// (nil: None), or a PermissionError for dynamic loader variables.
func (p *permissions) childEnv(env []string) ([]string, error) {
	if env == nil {
		if slices.Contains(p.raw.Env, allowAll) {
			return nil, nil // starnet's own
		}
		return p.keptEnv(os.Environ()), nil
	}
	if p.allowsEverything() {
		return env, nil
	}
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "LD_") || strings.HasPrefix(name, "DYLD_") {
			return nil, transports.NewError(transports.KindPermissionError,
				fmt.Sprintf("run access with %s in env denied: dynamic loader variables (LD_*, DYLD_*) let a child run any code; they need every permission: run with -A", name))
		}
	}
	return env, nil
}

// keptEnv filters environ to childEnvKept and the variables --allow-env
// lists. It never returns nil: an empty environment is still the child's
// whole environment.
func (p *permissions) keptEnv(environ []string) []string {
	out := []string{}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if p.allowsEnv(name) {
			out = append(out, kv)
			continue
		}
		for _, k := range childEnvKept {
			if name == k || strings.HasSuffix(k, "_") && strings.HasPrefix(name, k) {
				out = append(out, kv)
				break
			}
		}
	}
	return out
}

// allowsEverything reports whether every permission is granted without a
// list (as -A grants them).
func (p *permissions) allowsEverything() bool {
	r := p.raw
	return slices.Contains(r.Env, allowAll) && slices.Contains(r.Net, allowAll) && slices.Contains(r.Run, allowAll) &&
		slices.Contains(r.Read, allowAll) && slices.Contains(r.Write, allowAll)
}

// defaultExecPath is Python's os.defpath, the search path when PATH is unset.
const defaultExecPath = "/bin:/usr/bin"

// checkRun checks starting program (as the script gave it) in a child with
// the environment env (nil: starnet's own) and working directory dir ("":
// starnet's own).
func (p *permissions) checkRun(program string, env []string, dir string) error {
	resolved := resolveProgram(program, childSearchPath(env), dir)
	for _, entry := range p.raw.Run {
		entry = strings.TrimSpace(entry)
		if entry == allowAll || entry != "" && runEntryAllows(entry, program, resolved) {
			return nil
		}
	}
	return runDenied(program, runSuggestion(program, resolved))
}

// checkShell checks subprocess_shell: the shell, /bin/sh, must be allowed.
func (p *permissions) checkShell() error {
	for _, entry := range p.raw.Run {
		entry = strings.TrimSpace(entry)
		switch {
		case entry == allowAll, entry == "sh", entry == shellPath:
			return nil
		case strings.Contains(entry, "/") && sameFile(absPath(entry), shellPath):
			return nil
		}
	}
	return runDenied("sh", "sh")
}

// shellPath is the shell subprocess_shell runs, as asyncio does.
const shellPath = "/bin/sh"

// runEntryAllows reports whether one --allow-run entry allows program,
// which resolves to resolved ("" when it is not found).
func runEntryAllows(entry, program, resolved string) bool {
	if strings.Contains(entry, "/") {
		return resolved != "" && sameFile(resolved, absPath(entry))
	}
	if resolved == "" {
		// Not found: the start fails with FileNotFoundError anyway; let
		// the script see that rather than a PermissionError.
		return program == entry
	}
	want := resolveProgram(entry, ownSearchPath(), "")
	return want != "" && sameFile(resolved, want)
}

// runSuggestion is the entry the denial message suggests: the program as
// given, or its full path when the child's PATH finds another file than
// starnet's own would.
func runSuggestion(program, resolved string) string {
	if strings.Contains(program, "/") || resolved == "" {
		return program
	}
	if own := resolveProgram(program, ownSearchPath(), ""); own != "" && sameFile(own, resolved) {
		return program
	}
	return resolved
}

// runDenied is the PermissionError of a denied subprocess.
func runDenied(program, suggestion string) *transports.Error {
	return transports.NewError(transports.KindPermissionError,
		fmt.Sprintf("run access to %q denied; run with --allow-run=%s", program, suggestion))
}

// ownSearchPath is starnet's own PATH.
func ownSearchPath() string {
	if path, ok := os.LookupEnv("PATH"); ok {
		return path
	}
	return defaultExecPath
}

// childSearchPath is the PATH a child with environment env searches, as
// Python's subprocess (and transports.SubprocessExec) does: env's PATH,
// else the default search path; nil env means starnet's own environment.
func childSearchPath(env []string) string {
	if env == nil {
		return ownSearchPath()
	}
	path := defaultExecPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	return path
}

// resolveProgram returns the absolute path a child started in dir runs
// for program: a program with a slash is taken relative to dir; a name is
// looked up in search. It returns "" when a name is not found.
func resolveProgram(program, search, dir string) string {
	if program == "" {
		return ""
	}
	if strings.Contains(program, "/") {
		return inDir(program, dir)
	}
	for _, d := range filepath.SplitList(search) {
		if d == "" {
			d = "."
		}
		candidate := inDir(filepath.Join(d, program), dir)
		st, err := os.Stat(candidate)
		if err != nil || st.IsDir() || unix.Access(candidate, unix.X_OK) != nil {
			continue
		}
		return candidate
	}
	return ""
}

// inDir makes path absolute relative to dir (starnet's working directory
// when dir is "").
func inDir(path, dir string) string {
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	return absPath(path)
}

// sameFile reports whether two absolute paths name the same file: equal,
// or equal once symbolic links are resolved.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	ra, errA := filepath.EvalSymlinks(a)
	rb, errB := filepath.EvalSymlinks(b)
	return errA == nil && errB == nil && ra == rb
}

// absPath makes p absolute and clean (program paths are compared as files
// by sameFile, which resolves links).
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}
