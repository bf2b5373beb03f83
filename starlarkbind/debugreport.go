package starlarkbind

import (
	"io"
	"sort"
)

// Debug mode's "unclosed" warnings (asyncio's ResourceWarning of a
// transport that is garbage-collected while open). A script's run can end
// four ways — out of work, loop.stop(), exit(), a signal (Ctrl-C) — and
// each reports what the script left open: the runtime calls ReportUnclosed
// when it tears a run down, and exit() and the default signal handling call
// it before they close everything themselves, which would otherwise hide it.

// ReportUnclosed writes a ResourceWarning on the env's stderr for every
// transport that is still open and that nobody has begun to close
// ("ResourceWarning: unclosed transport <...>") and for every server the
// script created and did not close ("ResourceWarning: unclosed server
// <...>"), one line each, sorted, and returns how many it reported. The
// servers of the host (TrackServer) are the host's to close and are not
// reported. The runtime calls it in debug mode before it aborts what is left.
func (e *Env) ReportUnclosed() int {
	var lines []string
	for t, tv := range e.conns {
		if !t.IsClosing() {
			lines = append(lines, "ResourceWarning: unclosed transport "+tv.String()+"\n")
		}
	}
	for s, sv := range e.servers {
		if !sv.host && len(s.Sockets()) > 0 {
			lines = append(lines, "ResourceWarning: unclosed server "+sv.String()+"\n")
		}
	}
	sort.Strings(lines)
	for _, line := range lines {
		_, _ = io.WriteString(e.stderr, line)
	}
	return len(lines)
}

// reportUnclosedAtExit reports, in debug mode, what the script left open
// when exit() or a signal ends the run, before the env closes it all.
func (e *Env) reportUnclosedAtExit() {
	if e.debugging() && !e.exited {
		e.ReportUnclosed()
	}
}
