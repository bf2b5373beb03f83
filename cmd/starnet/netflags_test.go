package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAllowNetEntriesAreChecked: an --allow-net entry that does not parse is
// a usage error naming the entry and what is wrong with it (it used to be
// dropped silently, so the script then met a PermissionError it could not
// explain); the valid forms are accepted.
func TestAllowNetEntriesAreChecked(t *testing.T) {
	t.Parallel()
	good := script(t, "ok.star", "x = 1\n")
	for flag, want := range map[string]string{
		"--allow-net=127.0.0.1,bogus:port": `starnet: run: --allow-net: "bogus:port": port "port" is not a number from 0 to 65535`,
		"--allow-net=300.1.1.1/99":         `starnet: run: --allow-net: "300.1.1.1/99": not a CIDR prefix`,
		"--allow-net=unix:/tmp/s":          `starnet: run: --allow-net: "unix:/tmp/s": an abstract Unix socket entry is unix:@name`,
	} {
		r := runStarnet(t, "run", flag, good)
		assert.Equal(t, 2, r.code, "%s: exit status", flag)
		assert.Contains(t, r.stderr, want, flag)
	}
	r := runStarnet(t, "run", "--allow-net=:80,unix:@x,10.0.0.0/8:22,[::1]:80,fe80::/10,Example.COM", good)
	assert.Equal(t, 0, r.code, "valid entries: %+v", r)
}
