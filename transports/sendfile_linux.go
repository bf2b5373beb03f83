//go:build linux

package transports

import "golang.org/x/sys/unix"

// sysSendfile copies up to n bytes from src at *offset to dst with
// sendfile(2), advancing *offset.
func sysSendfile(dst, src int, offset *int64, n int) (int, error) {
	return unix.Sendfile(dst, src, offset, n)
}
