package permissions

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// NetRule is one --allow-net entry: "*" (anything), "host", "host:port",
// ":port", an IP ("127.0.0.1", "::1", "[::1]:80"), a CIDR ("10.0.0.0/8",
// also "10.0.0.0/8:443", "[fe80::/10]:22"), or "unix:@name" (the abstract
// Unix socket "@name"). Host names are compared in lower case without a
// trailing dot.
type NetRule struct {
	any      bool         // "*"
	abstract string       // "unix:@name": "@name"
	name     string       // a host name, lower case, when not an IP
	prefix   netip.Prefix // an IP (a /32 or /128) or a CIDR; valid when set
	port     int          // -1: any port
}

// AbstractPrefix starts an --allow-net entry for an abstract Unix socket
// name: "unix:@name".
const AbstractPrefix = "unix:"

// ParseNetRule parses one --allow-net entry; an entry that does not parse is
// an error that says why.
func ParseNetRule(entry string) (NetRule, error) {
	entry = strings.TrimSpace(entry)
	switch {
	case entry == All:
		return NetRule{any: true, port: -1}, nil
	case entry == "":
		return NetRule{}, fmt.Errorf("empty entry")
	}
	if name, ok := strings.CutPrefix(entry, AbstractPrefix); ok {
		if !IsAbstract(name) || len(name) < 2 {
			return NetRule{}, fmt.Errorf("%q: an abstract Unix socket entry is unix:@name", entry)
		}
		return NetRule{abstract: name, port: -1}, nil
	}
	host, port, err := splitHostPort(entry)
	if err != nil {
		return NetRule{}, fmt.Errorf("%q: %w", entry, err)
	}
	r := NetRule{port: -1}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return NetRule{}, fmt.Errorf("%q: port %q is not a number from 0 to 65535", entry, port)
		}
		r.port = n
	}
	host = NormalizeHost(host)
	switch {
	case host == "":
		if port == "" {
			return NetRule{}, fmt.Errorf("%q: no host and no port", entry)
		}
	case strings.Contains(host, "/"):
		p, err := netip.ParsePrefix(host)
		if err != nil {
			return NetRule{}, fmt.Errorf("%q: not a CIDR prefix (%v)", entry, err)
		}
		r.prefix = p.Masked()
	default:
		if ip, err := netip.ParseAddr(host); err == nil {
			r.prefix = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
		} else if !validHostName(host) {
			return NetRule{}, fmt.Errorf("%q: %q is neither an IP address nor a host name", entry, host)
		} else {
			r.name = host
		}
	}
	return r, nil
}

// splitHostPort splits "host:port", "[v6]:port", ":port", "host", a bare
// IPv6 address, and "cidr" or "cidr:port" (a v6 CIDR with a port in
// brackets or not).
func splitHostPort(entry string) (host, port string, err error) {
	if rest, ok := strings.CutPrefix(entry, "["); ok {
		end := strings.Index(rest, "]")
		if end < 0 {
			return "", "", fmt.Errorf("unclosed [")
		}
		host, after := rest[:end], rest[end+1:]
		if after == "" {
			return host, "", nil
		}
		if p, ok := strings.CutPrefix(after, ":"); ok {
			return host, p, nil
		}
		return "", "", fmt.Errorf("unexpected %q after ]", after)
	}
	colons := strings.Count(entry, ":")
	switch {
	case colons == 0:
		return entry, "", nil
	case colons == 1:
		i := strings.LastIndex(entry, ":")
		return entry[:i], entry[i+1:], nil
	case strings.Contains(entry, "/"): // an IPv6 CIDR, maybe with a port after the length
		if i := strings.LastIndex(entry, ":"); i > strings.Index(entry, "/") {
			return entry[:i], entry[i+1:], nil
		}
		return entry, "", nil
	}
	return entry, "", nil // a bare IPv6 address
}

// validHostName reports whether s could be a DNS name: labels of letters,
// digits, '-' and '_', separated by single dots.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// NormalizeHost lower-cases host and drops brackets and a trailing dot.
func NormalizeHost(host string) string {
	return strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
}

// IsAbstract reports whether a Unix socket path names an abstract socket
// ("@name", or a leading NUL byte, as Linux spells it).
func IsAbstract(path string) bool {
	return strings.HasPrefix(path, "@") || strings.HasPrefix(path, "\x00")
}

// String returns the entry as ParseNetRule would read it back.
func (r NetRule) String() string {
	var host string
	switch {
	case r.any:
		return All
	case r.abstract != "":
		return AbstractPrefix + r.abstract
	case r.name != "":
		host = r.name
	case r.prefix.IsValid() && r.prefix.IsSingleIP():
		host = r.prefix.Addr().String()
	case r.prefix.IsValid():
		host = r.prefix.String()
	}
	if r.port < 0 {
		return host
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(r.port)
}

func (r NetRule) portMatches(port int) bool { return r.port < 0 || r.port == port }

// isPortOnly reports whether r is ":port" (any host).
func (r NetRule) isPortOnly() bool {
	return !r.any && r.abstract == "" && r.name == "" && !r.prefix.IsValid()
}

// AllowsName reports whether r allows host:port as the script spelled host
// (a name, or a literal IP).
func (r NetRule) AllowsName(host string, port int) bool {
	if r.abstract != "" || !r.portMatches(port) {
		return false
	}
	if r.any || r.isPortOnly() {
		return true
	}
	if ip, err := netip.ParseAddr(NormalizeHost(host)); err == nil {
		return r.AllowsIP(ip, port)
	}
	return r.name != "" && r.name == NormalizeHost(host)
}

// AllowsIP reports whether r allows the address ip:port (resolved, or bound).
func (r NetRule) AllowsIP(ip netip.Addr, port int) bool {
	if r.abstract != "" || !r.portMatches(port) {
		return false
	}
	switch {
	case r.any, r.isPortOnly():
		return true
	case r.prefix.IsValid():
		return r.prefix.Contains(ip.Unmap().WithZone(""))
	}
	return false
}

// DecidesAfterResolving reports whether r may allow a name once it is
// resolved: IP and CIDR entries decide only then.
func (r NetRule) DecidesAfterResolving(port int) bool {
	return r.abstract == "" && r.portMatches(port) && r.prefix.IsValid()
}

// AllowsAbstract reports whether r allows the abstract Unix socket name.
func (r NetRule) AllowsAbstract(name string) bool {
	return r.any || r.abstract == name
}
