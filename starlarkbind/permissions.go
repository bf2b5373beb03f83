package starlarkbind

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	policy "github.com/starnet-dev/starnet/internal/permissions"
	"github.com/starnet-dev/starnet/transports"
)

// Permission checks (API.md "Running a script"). Everything is denied unless an entry allows
// it; "*" allows anything of its kind.
//
// Network entries (internal/permissions.NetRule, which parses and matches
// them) are "host", "host:port", ":port", a CIDR ("10.0.0.0/8", also
// "10.0.0.0/8:443"), an IP ("127.0.0.1", "[::1]:80"), "unix:@name", or "*". An
// operation on host:port is checked twice: before any socket exists, against
// the name the script gave, and again for each address that name resolved to
// (through a transports.AddrCheck). An entry allows it when its port is absent
// or equal, and its host is the very name the script used, or an IP/CIDR
// equal to/containing the resolved address. So `--allow-net=localhost` allows
// connecting to "localhost", while "localhost" does not slip past
// `--allow-net=127.0.0.2` (it resolves to 127.0.0.1). Listening checks the
// bind address; an empty host means "0.0.0.0".
//
// Unix socket paths are file-system access: connecting needs read and write
// on the path, listening needs write. A path entry covers itself and, if it
// is a directory, everything below it. Paths and entries are compared as the
// kernel resolves them (internal/permissions.Resolve: symbolic links and
// ".." followed), and files are opened with links refused, so that what is
// opened is what was checked. Abstract Unix socket names ("@name") are not
// files: they need an --allow-net entry "unix:@name" (or an --allow-net
// that allows everything).

// allowAll is the entry that allows everything of a kind.
const allowAll = "*"

// permissions are the parsed Permissions of an Env.
type permissions struct {
	raw   Permissions
	net   []policy.NetRule
	read  policy.PathList
	write policy.PathList
}

// compilePermissions parses p. Entries that do not parse allow nothing:
// the runtime and the CLI refuse them before an Env is made
// (policy.ParseNetRule says why).
func compilePermissions(p Permissions) *permissions {
	c := &permissions{raw: p}
	for _, entry := range p.Net {
		if r, err := policy.ParseNetRule(entry); err == nil {
			c.net = append(c.net, r)
		}
	}
	c.read = policy.NewPathList(p.Read)
	c.write = policy.NewPathList(p.Write)
	return c
}

// netTarget formats host:port (or host, when port < 0) for messages.
func netTarget(host string, port int) string {
	h := strings.Trim(host, "[]")
	if port < 0 {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return net.JoinHostPort(h, strconv.Itoa(port))
}

// netDenied is the PermissionError of a denied network operation.
func netDenied(host string, port int) *transports.Error {
	t := netTarget(host, port)
	return transports.NewError(transports.KindPermissionError,
		fmt.Sprintf("net access to %q denied; run with --allow-net=%s", t, t))
}

// netAccess is the decision of the check before resolution.
type netAccess int

const (
	netDeny         netAccess = iota
	netAllowed                // allowed by the name itself
	netCheckResolve           // decided per resolved address
)

// checkNet checks host:port (port -1: no port) before any socket exists.
func (p *permissions) checkNet(host string, port int) (netAccess, error) {
	resolveLater := false
	isName := net.ParseIP(strings.Trim(host, "[]")) == nil
	for _, r := range p.net {
		if r.AllowsName(host, port) {
			return netAllowed, nil
		}
		if isName && r.DecidesAfterResolving(port) {
			resolveLater = true
		}
	}
	if resolveLater {
		return netCheckResolve, nil
	}
	return netDeny, netDenied(host, port)
}

// checkConnect checks connecting to host:port before any socket exists. An
// unspecified address (0.0.0.0, ::) is checked as the loopback address the
// kernel connects it to, so that an entry meant for listening
// (--allow-net=0.0.0.0:P) does not allow connecting to local services.
func (p *permissions) checkConnect(host string, port int) (netAccess, error) {
	lb, ok := loopbackFor(host)
	if !ok {
		return p.checkNet(host, port)
	}
	access, err := p.checkNet(lb, port)
	if err != nil {
		return netDeny, netDeniedVia(host, lb, port)
	}
	return access, nil
}

// checkLocalAddr checks binding a client socket to the local address
// host:port (create_connection's local_addr), before any socket exists. A
// name must be allowed as a name, since it is resolved only when the socket
// is bound.
func (p *permissions) checkLocalAddr(host string, port int) error {
	access, err := p.checkNet(bindHost(host), port)
	if err != nil {
		return err
	}
	if access != netAllowed {
		return netDenied(host, port)
	}
	return nil
}

// loopbackFor returns the loopback address a connection to host reaches
// when host is an unspecified address, and whether it is one.
func loopbackFor(host string) (string, bool) {
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil || !ip.IsUnspecified() {
		return "", false
	}
	if ip.To4() != nil {
		return "127.0.0.1", true
	}
	return "::1", true
}

// netDeniedVia is the PermissionError of a connection to host that the
// kernel would send to reached instead.
func netDeniedVia(host, reached string, port int) *transports.Error {
	t, r := netTarget(host, port), netTarget(reached, port)
	return transports.NewError(transports.KindPermissionError,
		fmt.Sprintf("net access to %q (which reaches %s) denied; run with --allow-net=%s", t, r, r))
}

// addrCheck returns the transports.AddrCheck that vets each address host
// resolved to before connecting to it (nil when the name itself was
// allowed). An unspecified address is vetted as its loopback address.
func (p *permissions) addrCheck(host string, port int, access netAccess) transports.AddrCheck {
	if access == netAllowed {
		return nil
	}
	return func(network string, addr net.Addr) error {
		ip := addrIP(addr)
		if ip == nil {
			return nil
		}
		if lb, ok := loopbackFor(ip.String()); ok {
			ip = net.ParseIP(lb)
		}
		if p.allowsIP(ip, port) {
			return nil
		}
		return netDenied(host, port)
	}
}

// bindCheck returns the transports.AddrCheck of a server or a local
// address: every address a socket binds is vetted. An address of a name
// that was allowed as a name is allowed; the wildcard addresses a server
// with no host binds (0.0.0.0 and ::) are each vetted as themselves, so
// --allow-net=0.0.0.0 does not also allow listening on ::.
func (p *permissions) bindCheck(host string, port int, access netAccess) transports.AddrCheck {
	byName := access == netAllowed && host != "" && net.ParseIP(strings.Trim(host, "[]")) == nil
	return func(network string, addr net.Addr) error {
		ip := addrIP(addr)
		if ip == nil || byName || p.allowsIP(ip, port) {
			return nil
		}
		if host == "" || ip.IsUnspecified() {
			return netDenied(ip.String(), port)
		}
		return netDenied(host, port)
	}
}

// allowsIP reports whether an entry allows the address ip:port.
func (p *permissions) allowsIP(ip net.IP, port int) bool {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	for _, r := range p.net {
		if r.AllowsIP(addr, port) {
			return true
		}
	}
	return false
}

// addrIP is the IP of a TCP or UDP address, nil for others.
func addrIP(addr net.Addr) net.IP {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	}
	return nil
}

// readPath and writePath check file-system access to path and return the
// path as the kernel resolves it (policy.Resolve): open that, with
// policy.Open, so that what is opened is what was checked.
func (p *permissions) readPath(path string) (string, error) {
	return checkPath("read", p.read, path)
}

func (p *permissions) writePath(path string) (string, error) {
	return checkPath("write", p.write, path)
}

// checkRead and checkWrite are readPath and writePath for a caller that
// hands the path itself to the kernel (a Unix socket's connect or bind).
func (p *permissions) checkRead(path string) error {
	_, err := p.readPath(path)
	return err
}

func (p *permissions) checkWrite(path string) error {
	_, err := p.writePath(path)
	return err
}

// checkPath resolves path and checks it against the allow-list of kind.
func checkPath(kind string, list policy.PathList, path string) (string, error) {
	resolved, err := policy.Resolve(path)
	if err != nil {
		return "", transports.MapError(err)
	}
	if list.Contains(resolved) {
		return resolved, nil
	}
	return "", pathDenied(kind, path, resolved)
}

// pathDenied is the PermissionError of a denied path. When links led path
// elsewhere, the message says where, and the flag to allow it names that.
func pathDenied(kind, path, resolved string) *transports.Error {
	if abs, err := filepath.Abs(path); err == nil && abs != resolved {
		return transports.NewError(transports.KindPermissionError,
			fmt.Sprintf("%s access to %q (which resolves to %q) denied; run with --allow-%s=%s", kind, path, resolved, kind, resolved))
	}
	return transports.NewError(transports.KindPermissionError,
		fmt.Sprintf("%s access to %q denied; run with --allow-%s=%s", kind, path, kind, path))
}

// checkEnv checks reading the environment variable name.
func (p *permissions) checkEnv(name string) error {
	if p.allowsEnv(name) {
		return nil
	}
	if len(p.raw.Env) > 0 {
		return transports.NewError(transports.KindPermissionError,
			fmt.Sprintf("env access to %q denied; run with --allow-env=%s", name, strings.Join(append(slices.Clone(p.raw.Env), name), ",")))
	}
	return transports.NewError(transports.KindPermissionError,
		fmt.Sprintf("env access to %q denied; run with --allow-env=%s (or --allow-env for all)", name, name))
}

// allowsEnv reports whether the variable name may be read.
func (p *permissions) allowsEnv(name string) bool {
	return slices.Contains(p.raw.Env, allowAll) || slices.Contains(p.raw.Env, name)
}

// checkUnixConnect and checkUnixListen check Unix socket paths: read and
// write on a file path for connecting, write for listening; an abstract
// name needs its own --allow-net entry.
func (p *permissions) checkUnixConnect(path string) error {
	if policy.IsAbstract(path) {
		return p.checkAbstract(path)
	}
	if err := p.checkRead(path); err != nil {
		return err
	}
	return p.checkWrite(path)
}

func (p *permissions) checkUnixListen(path string) error {
	if policy.IsAbstract(path) {
		return p.checkAbstract(path)
	}
	return p.checkWrite(path)
}

// checkAbstract checks the abstract Unix socket name ("@name").
func (p *permissions) checkAbstract(name string) error {
	for _, r := range p.net {
		if r.AllowsAbstract(name) {
			return nil
		}
	}
	return transports.NewError(transports.KindPermissionError,
		fmt.Sprintf("net access to the abstract Unix socket %q denied; run with --allow-net=%s%s", name, policy.AbstractPrefix, name))
}

// unixAddrCheck re-checks a Unix address as the transport sees it.
func (p *permissions) unixAddrCheck(listen bool) transports.AddrCheck {
	return func(network string, addr net.Addr) error {
		ua, ok := addr.(*net.UnixAddr)
		if !ok || ua.Name == "" {
			return nil
		}
		if listen {
			return p.checkUnixListen(ua.Name)
		}
		return p.checkUnixConnect(ua.Name)
	}
}
