package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	policy "github.com/starnet-dev/starnet/internal/permissions"
	"github.com/starnet-dev/starnet/internal/suggest"
	starnet "github.com/starnet-dev/starnet/runtime"
)

// runOptions is a parsed `starnet run` command line.
type runOptions struct {
	perms     starnet.Permissions
	loops     int
	maxSteps  uint64
	maxMemory uint64
	maxChild  int
	debug     bool
	script    string
	args      []string
}

// parseRunArgs parses `starnet run`'s arguments: flags, then the script
// path, then the script's own arguments (passed on untouched). "--" ends
// the flags.
func parseRunArgs(args []string) (runOptions, error) {
	var opts runOptions
	bareList := "" // the previous argument, if it was a list flag without "="
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			i++
			if i == len(args) {
				break
			}
			return opts.withScript(args[i:])
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			if err := spacedList(bareList, args[i:]); err != nil {
				return opts, err
			}
			return opts.withScript(args[i:])
		}
		if arg == "-h" || arg == "--help" {
			return opts, errHelp
		}
		name, value, hasValue := strings.Cut(arg, "=")
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 == len(args) {
				return "", fmt.Errorf("flag %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		if err := opts.apply(name, value, hasValue, next); err != nil {
			return opts, err
		}
		bareList = ""
		if !hasValue && slices.Contains(listFlags, name) {
			bareList = name
		}
	}
	return opts, errors.New("run: no script given")
}

// listFlags are the flags that take a LIST after "=".
var listFlags = []string{"--allow-net", "--allow-run", "--allow-read", "--allow-write", "--allow-env"}

// spacedList catches `--allow-net 127.0.0.1 x.star`: a list flag written
// with a space, so that its list would be taken for the script path. rest
// starts at that "script"; flag is the list flag just before it, or "".
func spacedList(flag string, rest []string) error {
	if flag == "" || strings.HasSuffix(rest[0], ".star") || len(rest) < 2 || !strings.HasSuffix(rest[1], ".star") {
		return nil
	}
	if fi, err := os.Stat(rest[0]); err == nil && fi.Mode().IsRegular() {
		return nil // a script of that name
	}
	return fmt.Errorf("%s takes its list after \"=\": write %s=%s (with a space, %q is taken for the script path)", flag, flag, rest[0], rest[0])
}

// withScript records the script path and its arguments.
func (o runOptions) withScript(rest []string) (runOptions, error) {
	o.script, o.args = rest[0], rest[1:]
	return o, nil
}

// apply applies one flag. value is the text after "=" (hasValue); next
// reads a separate value argument for flags that require one.
func (o *runOptions) apply(name, value string, hasValue bool, next func() (string, error)) error {
	p := &o.perms
	switch name {
	case "--allow-net":
		if err := appendList(&p.Net, name, value, hasValue); err != nil {
			return err
		}
		for _, entry := range p.Net {
			if _, err := policy.ParseNetRule(entry); err != nil {
				return fmt.Errorf("--allow-net: %w", err)
			}
		}
		return nil
	case "--allow-run":
		return appendList(&p.Run, name, value, hasValue)
	case "--allow-read":
		return appendList(&p.Read, name, value, hasValue)
	case "--allow-write":
		return appendList(&p.Write, name, value, hasValue)
	case "--allow-env":
		return appendList(&p.Env, name, value, hasValue)
	case "-A", "--allow-all":
		var all bool
		if err := o.setBool(&all, name, value, hasValue); err != nil {
			return err
		}
		if all {
			*p = starnet.AllowAll()
		}
		return nil
	case "--debug":
		return o.setBool(&o.debug, name, value, hasValue)
	case "--loops":
		v, err := next()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("--loops wants a positive integer, got %q", v)
		}
		o.loops = n
		return nil
	case "--max-steps":
		v, err := next()
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("--max-steps wants a non-negative integer, got %q", v)
		}
		o.maxSteps = n
		if n == 0 {
			o.maxSteps = starnet.NoStepLimit
		}
		return nil
	case "--max-children":
		v, err := next()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("--max-children wants a non-negative integer, got %q", v)
		}
		o.maxChild = n
		if n == 0 {
			o.maxChild = starnet.NoChildLimit
		}
		return nil
	case "--max-memory":
		v, err := next()
		if err != nil {
			return err
		}
		n, err := parseMemorySize(v)
		if err != nil {
			return fmt.Errorf("--max-memory %v", err)
		}
		o.maxMemory = n
		return nil
	default:
		if near := closestFlag(name); near != "" {
			return fmt.Errorf("unknown flag %s (did you mean %s?)", name, near)
		}
		return fmt.Errorf("unknown flag %s", name)
	}
}

// appendList adds a permission flag's comma-separated LIST to list; without
// "=LIST" the flag allows anything ("*").
func appendList(list *[]string, name, value string, hasValue bool) error {
	if !hasValue {
		*list = append(*list, "*")
		return nil
	}
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return fmt.Errorf("%s: empty entry in %q", name, value)
		}
		*list = append(*list, item)
	}
	return nil
}

// setBool sets a boolean flag: bare, or =true/=false.
func (o *runOptions) setBool(b *bool, name, value string, hasValue bool) error {
	if !hasValue {
		*b = true
		return nil
	}
	v, err := strconv.ParseBool(value)
	if err != nil {
		return fmt.Errorf("%s wants true or false, got %q", name, value)
	}
	*b = v
	return nil
}

// minMemoryLimit is the smallest --max-memory other than 0: less is surely
// a missing unit ("--max-memory 512" for 512MiB), and the process's own
// heap is about that large before a script runs.
const minMemoryLimit = 1 << 20

// memoryUnits are --max-memory's units, all powers of 1024 (as in docker
// and the JVM: 512M, 512MB and 512MiB are the same), matched without case.
var memoryUnits = []struct {
	suffix string
	shift  uint
}{
	{"kib", 10}, {"mib", 20}, {"gib", 30}, {"tib", 40},
	{"kb", 10}, {"mb", 20}, {"gb", 30}, {"tb", 40},
	{"k", 10}, {"m", 20}, {"g", 30}, {"t", 40},
	{"b", 0},
}

// parseMemorySize parses a --max-memory value: a number of bytes, or a
// number (fractions allowed: 1.5GiB) with a unit of memoryUnits; "0" or
// "none" mean no limit (starnet.NoMemoryLimit). The error completes
// "--max-memory ...".
func parseMemorySize(v string) (uint64, error) {
	text := strings.ToLower(strings.TrimSpace(v))
	if text == "none" {
		return starnet.NoMemoryLimit, nil
	}
	bad := fmt.Errorf("wants a size such as 512MiB, 2G or 1.5GiB (or 0 or none for no limit), got %q", v)
	num, shift := text, uint(0)
	for _, u := range memoryUnits {
		if rest, ok := strings.CutSuffix(text, u.suffix); ok {
			num, shift = strings.TrimSpace(rest), u.shift
			break
		}
	}
	if num == "" || strings.ContainsAny(num, "+-eEx_") || strings.ContainsFunc(num, func(r rune) bool { return r > '9' && r != '.' }) {
		return 0, bad
	}
	var n uint64
	if whole, err := strconv.ParseUint(num, 10, 64); err == nil {
		if shift > 0 && whole > math.MaxUint64>>shift {
			return 0, fmt.Errorf("is too large, got %q", v)
		}
		n = whole << shift
	} else {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, bad
		}
		f *= float64(uint64(1) << shift)
		if f >= math.MaxUint64 {
			return 0, fmt.Errorf("is too large, got %q", v)
		}
		n = uint64(f)
	}
	switch {
	case n == 0:
		return starnet.NoMemoryLimit, nil
	case n < minMemoryLimit && num == text: // no unit given
		return 0, fmt.Errorf("wants 0, none or at least 1MiB, got %q (%d bytes; forgot a unit, as in %sMiB?)", v, n, num)
	case n < minMemoryLimit:
		return 0, fmt.Errorf("wants 0, none or at least 1MiB, got %q", v)
	case n == starnet.NoMemoryLimit:
		return 0, fmt.Errorf("is too large, got %q", v)
	}
	return n, nil
}

// errHelp is parseRunArgs's answer to -h or --help: print run's usage.
var errHelp = errors.New("help requested")

// runFlags are the flags `starnet run` knows, for suggestions.
var runFlags = []string{
	"--allow-net", "--allow-run", "--allow-read", "--allow-write", "--allow-env",
	"--allow-all", "--loops", "--max-steps", "--max-memory", "--max-children", "--debug", "--help",
}

// closestFlag returns the known flag that name is a prefix of, or the one
// nearest to it (at most two edits away), or "".
func closestFlag(name string) string {
	if len(name) > 2 {
		for _, f := range runFlags {
			if strings.HasPrefix(f, name) {
				return f
			}
		}
	}
	return suggest.Closest(name, runFlags, 2)
}
