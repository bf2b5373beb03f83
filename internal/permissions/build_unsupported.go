//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

// starnet supports linux, darwin and the BSDs (freebsd, netbsd, openbsd,
// dragonfly): its event loop is built on epoll or kqueue and its sockets,
// pipes and processes on POSIX calls. This file is compiled only on other
// systems, and the undefined name below makes that build fail with a message
// that says so, ahead of the errors from the files that need those calls.

package permissions

type _ starnet_supports_linux_darwin_and_the_BSDs_only
