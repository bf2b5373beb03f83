package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHelpPaths: every command has its own help on stdout with status 0,
// however it is asked for.
func TestHelpPaths(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "usage:\n  starnet run [flags] script.star [args...]"},
		{[]string{"--help"}, "usage:\n  starnet run"},
		{[]string{"-h"}, "usage:\n  starnet run"},
		{[]string{"run", "--help"}, "usage: starnet run [flags] script.star [args...]"},
		{[]string{"run", "-h"}, "--max-memory SIZE"},
		{[]string{"run", "--allow-net", "-h", "x.star"}, "usage: starnet run"},
		{[]string{"check", "--help"}, "usage: starnet check script.star..."},
		{[]string{"check", "-h"}, "without running anything"},
	} {
		r := runStarnet(t, c.args...)
		assert.Equal(t, 0, r.code, "starnet %q: %+v", c.args, r)
		assert.Contains(t, r.stdout, c.want, "starnet %q", c.args)
		assert.Empty(t, r.stderr, "starnet %q", c.args)
	}
}

// TestMisspeltFlagsGetASuggestion: an unknown flag names the closest one.
func TestMisspeltFlagsGetASuggestion(t *testing.T) {
	t.Parallel()
	for flag, want := range map[string]string{
		"--allow-nett": "--allow-net",
		"--alow-read":  "--allow-read",
		"--max-step":   "--max-steps",
		"--debgu":      "--debug",
		"--max-mem":    "--max-memory",
	} {
		r := runStarnet(t, "run", flag, "x.star")
		assert.Equal(t, 2, r.code, flag)
		assert.Equal(t, "starnet: run: unknown flag "+flag+" (did you mean "+want+"?)\nRun 'starnet run --help' for usage.\n", r.stderr, flag)
	}
	r := runStarnet(t, "run", "--zzzzzz", "x.star")
	assert.Equal(t, "starnet: run: unknown flag --zzzzzz\nRun 'starnet run --help' for usage.\n", r.stderr)
}
