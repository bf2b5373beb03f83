package starlarkbind

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestNetRules(t *testing.T) {
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
		if allowed != c.allowed {
			t.Errorf("%q: %s:%d (%s) allowed = %v, want %v", c.entries, c.host, c.port, c.ip, allowed, c.allowed)
		}
	}
}

func TestDeniedMessages(t *testing.T) {
	p := compilePermissions(Permissions{})
	_, err := p.checkNet("10.0.0.1", 80)
	if got, want := err.Error(), `PermissionError: net access to "10.0.0.1:80" denied; run with --allow-net=10.0.0.1:80`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	_, err = p.checkNet("::1", 80)
	if got, want := err.Error(), `PermissionError: net access to "[::1]:80" denied; run with --allow-net=[::1]:80`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	_, err = p.checkNet("example.com", -1)
	if got, want := err.Error(), `PermissionError: net access to "example.com" denied; run with --allow-net=example.com`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if got, want := p.checkEnv("HOME").Error(), `PermissionError: env access to "HOME" denied; run with --allow-env`; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestPathRules(t *testing.T) {
	dir := t.TempDir()
	p := compilePermissions(Permissions{Read: []string{dir}, Write: []string{filepath.Join(dir, "w.sock")}})
	if err := p.checkRead(filepath.Join(dir, "sub", "x.sock")); err != nil {
		t.Errorf("read below an allowed directory: %v", err)
	}
	if err := p.checkRead(dir + "x/y"); err == nil {
		t.Errorf("a sibling with a common prefix was allowed")
	}
	if err := p.checkWrite(filepath.Join(dir, "w.sock")); err != nil {
		t.Errorf("write to the allowed path: %v", err)
	}
	if err := p.checkWrite(filepath.Join(dir, "other.sock")); err == nil {
		t.Errorf("write beside the allowed path was allowed")
	}
	if err := p.checkUnixConnect(filepath.Join(dir, "w.sock")); err != nil {
		t.Errorf("connect needs read and write, both allowed: %v", err)
	}
	all := compilePermissions(Permissions{Read: []string{"*"}})
	if err := all.checkRead("/etc/passwd"); err != nil {
		t.Errorf(`"*" denied: %v`, err)
	}
}

// TestListenFDs runs this test binary as a child that receives a listening
// socket the systemd way (fd 3, LISTEN_FDS=1, LISTEN_PID=its pid).
func TestListenFDs(t *testing.T) {
	if os.Getenv("STARNET_LISTEN_FDS_CHILD") == "1" {
		listenFDsChild(t)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -test.run '^TestListenFDs$' -test.v`, os.Args[0])
	cmd.Env = append(os.Environ(), "STARNET_LISTEN_FDS_CHILD=1", "STARNET_LISTEN_ADDR="+ln.Addr().String())
	cmd.ExtraFiles = []*os.File{f}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestListenFDs") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func listenFDsChild(t *testing.T) {
	te := newTestEnv(t, Options{})
	host, port, _ := net.SplitHostPort(os.Getenv("STARNET_LISTEN_ADDR"))
	g := te.exec(`
socks = os.listen_fds()
assert.eq(len(socks), 1)
assert.true(os.listen_fds()[0] == socks[0])
s = socks[0]
assert.eq(s.fileno(), 3)
assert.eq((s.family, s.type), (2, 1))
got = s.getsockname()
srv = loop.run_until_complete(loop.create_server(protocol("P"), sock = s))
served = srv.sockets[0].getsockname()
srv.close()
`)
	te.run()
	want := `("` + host + `", ` + port + `)`
	if g["got"].String() != want || g["served"].String() != want {
		t.Errorf("sockname = %s, served on %s; want %s", g["got"], g["served"], want)
	}
}
