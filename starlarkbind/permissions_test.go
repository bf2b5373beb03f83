package starlarkbind

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNetRules checks how --allow-net entries match hosts, names (with the
// address they resolve to) and ports.
func TestNetRules(t *testing.T) {
	t.Parallel()
	cases := []struct {
		entries []string
		host    string
		port    int
		ip      string // the resolved address, for names
		allowed bool
	}{
		{nil, "127.0.0.1", 80, "", false},
		{[]string{"*"}, "example.com", 80, "93.184.216.34", true},
		{[]string{"example.com"}, "example.com", 443, "93.184.216.34", true},
		{[]string{"example.com"}, "EXAMPLE.com.", 443, "93.184.216.34", true},
		{[]string{"example.com:80"}, "example.com", 443, "93.184.216.34", false},
		{[]string{"example.com:443"}, "example.com", 443, "93.184.216.34", true},
		{[]string{":443"}, "example.com", 443, "93.184.216.34", true},
		{[]string{":443"}, "example.com", 80, "93.184.216.34", false},
		{[]string{"93.184.216.0/24"}, "example.com", 80, "93.184.216.34", true},
		{[]string{"93.184.216.0/24:80"}, "example.com", 81, "93.184.216.34", false},
		{[]string{"10.0.0.0/8"}, "10.1.2.3", 22, "", true},
		{[]string{"10.0.0.0/8"}, "11.1.2.3", 22, "", false},
		{[]string{"127.0.0.2"}, "localhost", 80, "127.0.0.1", false},
		{[]string{"127.0.0.1"}, "localhost", 80, "127.0.0.1", true},
		{[]string{"localhost"}, "127.0.0.1", 80, "", false},
		{[]string{"[::1]:80"}, "::1", 80, "", true},
		{[]string{"[::1]:80"}, "::1", 81, "", false},
		{[]string{"::1"}, "::1", 81, "", true},
		{[]string{"[::1]"}, "localhost", 81, "::1", true},
		{[]string{"fe80::/10"}, "fe80::1", 1, "", true},
		{[]string{"bogus:port", "", "300.1.1.1/99"}, "bogus", 1, "1.1.1.1", false},
	}
	for _, c := range cases {
		p := compilePermissions(Permissions{Net: c.entries})
		access, err := p.checkNet(c.host, c.port)
		allowed := err == nil
		if allowed && access == netCheckResolve {
			check := p.addrCheck(c.host, c.port, access)
			allowed = check("tcp", &net.TCPAddr{IP: net.ParseIP(c.ip), Port: c.port}) == nil
		}
		assert.Equalf(t, c.allowed, allowed, "%q: %s:%d (%s) allowed", c.entries, c.host, c.port, c.ip)
	}
}

// TestDeniedMessages checks the messages of denied net and env access.
func TestDeniedMessages(t *testing.T) {
	t.Parallel()
	p := compilePermissions(Permissions{})
	_, err := p.checkNet("10.0.0.1", 80)
	assert.EqualError(t, err, `PermissionError: net access to "10.0.0.1:80" denied; run with --allow-net=10.0.0.1:80`)
	_, err = p.checkNet("::1", 80)
	assert.EqualError(t, err, `PermissionError: net access to "[::1]:80" denied; run with --allow-net=[::1]:80`)
	_, err = p.checkNet("example.com", -1)
	assert.EqualError(t, err, `PermissionError: net access to "example.com" denied; run with --allow-net=example.com`)
	assert.EqualError(t, p.checkEnv("HOME"), `PermissionError: env access to "HOME" denied; run with --allow-env=HOME (or --allow-env for all)`)
	// --allow-env=LIST, as Deno's: those names, and the message adds the
	// one asked for.
	p = compilePermissions(Permissions{Env: []string{"TERM", "LANG"}})
	assert.NoError(t, p.checkEnv("TERM"))
	assert.EqualError(t, p.checkEnv("HOME"), `PermissionError: env access to "HOME" denied; run with --allow-env=TERM,LANG,HOME`)
	assert.NoError(t, compilePermissions(Permissions{Env: []string{"*"}}).checkEnv("HOME"))
}

// TestPathRules checks how --allow-read and --allow-write entries match
// paths: below a directory, not beside it, "*" for all.
func TestPathRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := compilePermissions(Permissions{Read: []string{dir}, Write: []string{filepath.Join(dir, "w.sock")}})
	assert.NoError(t, p.checkRead(filepath.Join(dir, "sub", "x.sock")), "read below an allowed directory")
	assert.Error(t, p.checkRead(dir+"x/y"), "a sibling with a common prefix was allowed")
	assert.NoError(t, p.checkWrite(filepath.Join(dir, "w.sock")), "write to the allowed path")
	assert.Error(t, p.checkWrite(filepath.Join(dir, "other.sock")), "write beside the allowed path was allowed")
	assert.NoError(t, p.checkUnixConnect(filepath.Join(dir, "w.sock")), "connect needs read and write, both allowed")
	all := compilePermissions(Permissions{Read: []string{"*"}})
	assert.NoError(t, all.checkRead("/etc/passwd"), `"*" denied`)
}
