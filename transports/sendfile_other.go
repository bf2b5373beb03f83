//go:build !linux

package transports

import "golang.org/x/sys/unix"

// sysSendfile reports ENOSYS: the BSDs' sendfile(2) differs from Linux's,
// and Sendfile copies with read and write instead.
func sysSendfile(dst, src int, offset *int64, n int) (int, error) {
	return 0, unix.ENOSYS
}
