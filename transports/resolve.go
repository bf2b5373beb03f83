package transports

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// getaddrinfo's error numbers and Linux's texts for them, as Python's
// socket.gaierror shows them.
const (
	eaiNoName = -2 // EAI_NONAME
	eaiAgain  = -3 // EAI_AGAIN
	eaiFail   = -4 // EAI_FAIL
)

// loopbackAddrs are getaddrinfo(None)'s addresses, in glibc's order.
func loopbackAddrs() []netip.Addr {
	return []netip.Addr{netip.IPv6Loopback(), netip.AddrFrom4([4]byte{127, 0, 0, 1})}
}

// passiveAddrs are getaddrinfo(None, AI_PASSIVE)'s addresses.
func passiveAddrs() []netip.Addr {
	return []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
}

// lookupHost resolves host to addresses and calls done on the loop with
// them. A literal address needs no resolver and done is called at once;
// "" means getaddrinfo(None): the wildcard addresses when passive (a server),
// the loopback addresses otherwise. A name is resolved by net.DefaultResolver
// on another goroutine, the result posted back with CallSoonThreadsafe; the
// loop is kept alive (Ref) while the lookup is pending.
func lookupHost(l *loop.Loop, host string, passive bool, done func([]netip.Addr, error)) {
	if host == "" {
		if passive {
			done(passiveAddrs(), nil)
		} else {
			done(loopbackAddrs(), nil)
		}
		return
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		done([]netip.Addr{ip.Unmap()}, nil)
		return
	}
	l.Ref()
	go func() {
		ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
		// If the loop is closed the result has nowhere to go.
		_ = l.CallSoonThreadsafe(func() {
			l.Unref()
			if err != nil {
				done(nil, gaiError(err))
				return
			}
			done(uniqueAddrs(ips), nil)
		})
	}()
}

// uniqueAddrs unmaps IPv4-in-IPv6 addresses and drops duplicates, keeping
// the resolver's order.
func uniqueAddrs(ips []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(ips))
	seen := make(map[netip.Addr]bool, len(ips))
	for _, ip := range ips {
		ip = ip.Unmap()
		if !seen[ip] {
			seen[ip] = true
			out = append(out, ip)
		}
	}
	return out
}

// gaiError converts a resolver error to Python's socket.gaierror.
func gaiError(err error) error {
	code, text := eaiFail, "Non-recoverable failure in name resolution"
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			code, text = eaiNoName, "Name or service not known"
		case dnsErr.IsTimeout, dnsErr.IsTemporary:
			code, text = eaiAgain, "Temporary failure in name resolution"
		}
	}
	return &Error{Kind: KindGaiError, Message: fmt.Sprintf("[Errno %d] %s", code, text), Err: err}
}

// getAddrInfo is GetAddrInfo.
func getAddrInfo(l *loop.Loop, host string, port int) *loop.Future {
	f := l.NewFuture()
	if err := checkPort(port); err != nil {
		_ = f.SetException(err)
		return f
	}
	l.Ref()
	l.CallSoon(func() {
		lookupHost(l, host, false, func(ips []netip.Addr, err error) {
			defer l.Unref()
			if f.Done() {
				return
			}
			if err != nil {
				_ = f.SetException(err)
				return
			}
			_ = f.SetResult(addrInfos(ips, port))
		})
	})
	return f
}

// addrInfos makes getaddrinfo's tuples for ips.
func addrInfos(ips []netip.Addr, port int) []AddrInfo {
	infos := make([]AddrInfo, 0, len(ips))
	for _, ip := range ips {
		family, _ := ipSockaddr(ip, port)
		infos = append(infos, AddrInfo{
			Family: family,
			Type:   unix.SOCK_STREAM,
			Proto:  unix.IPPROTO_TCP,
			IP:     net.IP(ip.AsSlice()),
			Port:   port,
		})
	}
	return infos
}

// checkPort rejects a port outside 0-65535 with a ValueError.
func checkPort(port int) error {
	if port < 0 || port > 65535 {
		return NewError(KindValueError, fmt.Sprintf("port must be 0-65535, not %d", port))
	}
	return nil
}
