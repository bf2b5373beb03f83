package main

import (
	"testing"

	starnet "github.com/starnet-dev/starnet/runtime"
	"github.com/stretchr/testify/assert"
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
			runOptions{perms: starnet.Permissions{Net: []string{"a:1", "b"}, Run: []string{"ls"}, Write: []string{"*"}, Env: true},
				script: "s.star", args: []string{}}},
		{[]string{"-A", "--loops", "1", "--max-steps=7", "--debug", "--", "-s.star"},
			runOptions{perms: starnet.AllowAll(), loops: 1, maxSteps: 7, debug: true, script: "-s.star", args: []string{}}},
		{[]string{"--max-steps", "0", "s.star"},
			runOptions{maxSteps: starnet.NoStepLimit, script: "s.star", args: []string{}}},
	} {
		got, err := parseRunArgs(c.args)
		if assert.NoError(t, err, "%q", c.args) {
			assert.Equal(t, c.want, got, "%q", c.args)
		}
	}
}
