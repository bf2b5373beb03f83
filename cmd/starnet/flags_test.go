package main

import (
	"testing"

	starnet "github.com/starnet-dev/starnet/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseRunArgs: parseRunArgs reads the permission flags, --loops,
// --max-steps and --debug, and leaves what follows the script to it.
func TestParseRunArgs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want runOptions
	}{
		{[]string{"s.star"}, runOptions{script: "s.star", args: []string{}}},
		{[]string{"--allow-net", "--allow-read=/a,/b", "s.star", "--allow-env", "x"},
			runOptions{perms: starnet.Permissions{Net: []string{"*"}, Read: []string{"/a", "/b"}},
				script: "s.star", args: []string{"--allow-env", "x"}}},
		{[]string{"--allow-net=a:1", "--allow-net=b", "--allow-env", "--allow-run=ls", "--allow-write", "s.star"},
			runOptions{perms: starnet.Permissions{Net: []string{"a:1", "b"}, Run: []string{"ls"}, Write: []string{"*"}, Env: []string{"*"}},
				script: "s.star", args: []string{}}},
		{[]string{"-A", "--loops", "1", "--max-steps=7", "--debug", "--", "-s.star"},
			runOptions{perms: starnet.AllowAll(), loops: 1, maxSteps: 7, debug: true, script: "-s.star", args: []string{}}},
		{[]string{"--max-steps", "0", "s.star"},
			runOptions{maxSteps: starnet.NoStepLimit, script: "s.star", args: []string{}}},
		// --allow-env takes a list, as Deno's does.
		{[]string{"--allow-env=HOME,TERM", "--allow-env=LANG", "s.star"},
			runOptions{perms: starnet.Permissions{Env: []string{"HOME", "TERM", "LANG"}}, script: "s.star", args: []string{}}},
		// A bare list flag before a script that is not a .star file is
		// kept when no .star follows (a script may be named anything).
		{[]string{"--allow-net", "tool", "x"},
			runOptions{perms: starnet.Permissions{Net: []string{"*"}}, script: "tool", args: []string{"x"}}},
	} {
		got, err := parseRunArgs(c.args)
		if assert.NoError(t, err, "%q", c.args) {
			assert.Equal(t, c.want, got, "%q", c.args)
		}
	}
}

// TestSpacedListFlag: "--allow-net 127.0.0.1 x.star" says to write "=".
func TestSpacedListFlag(t *testing.T) {
	t.Parallel()
	for flag, list := range map[string]string{"--allow-net": "127.0.0.1", "--allow-env": "HOME", "--allow-read": "/tmp", "--allow-run": "ls", "--allow-write": "out"} {
		_, err := parseRunArgs([]string{"--debug", flag, list, "x.star", "a"})
		assert.EqualError(t, err, flag+` takes its list after "=": write `+flag+"="+list+` (with a space, "`+list+`" is taken for the script path)`)
	}
}

// TestParseMemorySize: --max-memory takes bytes, or a number (fractions
// allowed) with a unit; every unit is a power of 1024; 0 and none mean no
// limit.
func TestParseMemorySize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]uint64{
		"1048576":  1 << 20,
		"512MiB":   512 << 20,
		"512M":     512 << 20,
		"512mb":    512 << 20,
		"2G":       2 << 30,
		"2 GiB":    2 << 30,
		"1.5GiB":   3 << 29,
		"0.5g":     1 << 29,
		"1024KiB":  1 << 20,
		"1T":       1 << 40,
		"3000000b": 3000000,
		"0":        starnet.NoMemoryLimit,
		"0MiB":     starnet.NoMemoryLimit,
		"none":     starnet.NoMemoryLimit,
		"None":     starnet.NoMemoryLimit,
	} {
		got, err := parseMemorySize(in)
		if assert.NoError(t, err, "%q", in) {
			assert.Equal(t, want, got, "%q", in)
		}
	}
}

// TestMaxMemoryFlagErrors: a bad --max-memory is a usage error naming the
// flag and the value.
func TestMaxMemoryFlagErrors(t *testing.T) {
	t.Parallel()
	const wants = `--max-memory wants a size such as 512MiB, 2G or 1.5GiB (or 0 or none for no limit), got `
	for in, want := range map[string]string{
		"":                     wants + `""`,
		"lots":                 wants + `"lots"`,
		"MiB":                  wants + `"MiB"`,
		"-1G":                  wants + `"-1G"`,
		"+1G":                  wants + `"+1G"`,
		"1e9":                  wants + `"1e9"`,
		"0x100000":             wants + `"0x100000"`,
		"1.2.3M":               wants + `"1.2.3M"`,
		"2PiB":                 wants + `"2PiB"`,
		"inf":                  wants + `"inf"`,
		"512":                  `--max-memory wants 0, none or at least 1MiB, got "512" (512 bytes; forgot a unit, as in 512MiB?)`,
		"0.5KiB":               `--max-memory wants 0, none or at least 1MiB, got "0.5KiB"`,
		"99999999999999999999": `--max-memory is too large, got "99999999999999999999"`,
		"20000000000T":         `--max-memory is too large, got "20000000000T"`,
		"18446744073709551615": `--max-memory is too large, got "18446744073709551615"`,
	} {
		_, err := parseRunArgs([]string{"--max-memory", in, "s.star"})
		if assert.Error(t, err, "%q", in) {
			assert.Equal(t, want, err.Error(), "%q", in)
		}
	}
	_, err := parseRunArgs([]string{"--max-memory"})
	assert.EqualError(t, err, "flag --max-memory needs a value")
	opts, err := parseRunArgs([]string{"--max-memory=1.5GiB", "s.star"})
	require.NoError(t, err)
	assert.Equal(t, uint64(3<<29), opts.maxMemory)
}
