package starlarkbind

import (
	"hash/maphash"
	"net"

	"go.starlark.net/starlark"
)

// hashSeed is fixed for the life of the process: identity hashes must not
// change while a value sits in a dict.
var hashSeed = maphash.MakeSeed()

// identityHash hashes a pointer, for values compared by identity.
func identityHash[T any](p *T) uint32 {
	h := maphash.Comparable(hashSeed, p)
	return uint32(h ^ h>>32)
}

// bytesOf returns the bytes of a bytes or str value, read-only: without
// copying in the default build (readOnlyBytes, recvarena.go), so callers
// only read it (the transports never keep or modify what Write is given).
func bytesOf(v starlark.Value) ([]byte, bool) {
	switch v := v.(type) {
	case starlark.Bytes:
		return readOnlyBytes(string(v)), true
	case starlark.String:
		return readOnlyBytes(string(v)), true
	}
	return nil, false
}

// addrValue converts a socket address to what Python's socket module gives:
// (host, port) for IP addresses, the path for Unix sockets, None for nil.
func addrValue(a net.Addr) starlark.Value {
	switch a := a.(type) {
	case nil:
		return starlark.None
	case *net.TCPAddr:
		if a == nil {
			return starlark.None
		}
		return ipPortTuple(a.IP, a.Port)
	case *net.UDPAddr:
		if a == nil {
			return starlark.None
		}
		return ipPortTuple(a.IP, a.Port)
	case *net.UnixAddr:
		if a == nil {
			return starlark.None
		}
		return starlark.String(unixName(a.Name))
	}
	return starlark.String(a.String())
}

func ipPortTuple(ip net.IP, port int) starlark.Tuple {
	host := ""
	if ip != nil {
		host = ip.String()
	}
	return starlark.Tuple{starlark.String(host), starlark.MakeInt(port)}
}

// unixName is a Unix socket address as Python shows it: "" for an unnamed
// socket (which the kernel reports as an empty abstract name, "@").
func unixName(name string) string {
	if name == "@" {
		return ""
	}
	return name
}
