package main

import (
	"errors"
	"fmt"
	policy "github.com/starnet-dev/starnet/internal/permissions"
	"strconv"
	"strings"

	starnet "github.com/starnet-dev/starnet/runtime"
)

// runOptions is a parsed `starnet run` command line.
type runOptions struct {
	perms    starnet.Permissions
	loops    int
	maxSteps uint64
	debug    bool
	script   string
	args     []string
}

// parseRunArgs parses `starnet run`'s arguments: flags, then the script
// path, then the script's own arguments (passed on untouched). "--" ends
// the flags.
func parseRunArgs(args []string) (runOptions, error) {
	var opts runOptions
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
			return opts.withScript(args[i:])
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
	}
	return opts, errors.New("run: no script given")
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
		return o.setBool(&p.Env, name, value, hasValue)
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
	default:
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
