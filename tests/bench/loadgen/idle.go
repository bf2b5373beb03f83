package main

import (
	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// runIdle opens cfg.conns connections (each verified by a one-byte echo),
// holds them for cfg.hold, and fills res with the server's RSS growth per
// connection and the CPU it spent per connection opened. It does not count
// system calls: -syscalls is noted and ignored.
func runIdle(cfg config, res *result.Result) error {
	if cfg.syscalls {
		res.Notes = append(res.Notes, "server syscalls: not counted in idle mode")
	}
	recordRSS(res, cfg.pid, &res.RSSBeforeKiB)
	start := takeSnapshot(cfg.pid)
	conns, dialErr := dialAll(cfg.addr, cfg.conns, cfg.dialWorkers, true, cfg.timeout)
	end := takeSnapshot(cfg.pid)
	defer closeAll(conns)
	if len(conns) == 0 {
		return dialErr
	}
	countErrors(res, []error{dialErr})
	res.Conns = len(conns)
	res.WindowS = round3(end.at.Sub(start.at).Seconds())
	recordCPU(res, start, end, float64(len(conns)), result.UnitConn)

	sleepFor(cfg.hold)
	recordRSS(res, cfg.pid, &res.RSSAfterKiB)
	if res.RSSBeforeKiB > 0 && res.RSSAfterKiB > 0 {
		res.RSSPerConnB = round2(float64(res.RSSAfterKiB-res.RSSBeforeKiB) * 1024 / float64(len(conns)))
	}
	return nil
}
