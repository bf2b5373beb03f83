//go:build dragonfly || freebsd || netbsd || openbsd

package transports

// setNoSigpipe is a no-op: these systems have no SO_NOSIGPIPE, and Go's
// runtime turns SIGPIPE on a socket into an EPIPE error.
func setNoSigpipe(fd int) {}
