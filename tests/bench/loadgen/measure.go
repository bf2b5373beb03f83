package main

import (
	"fmt"
	"time"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// snapshot is the CPU time used so far by the client and the server, at one
// instant.
type snapshot struct {
	at                 time.Time
	selfUser, selfSys  time.Duration
	selfErr            error
	srvUser, srvSys    time.Duration
	srvErr             error
	machBusy, machSoft time.Duration
	machErr            error
}

// takeSnapshot reads the clock and both processes' CPU times. pid 0 means
// the server's process is unknown.
func takeSnapshot(pid int) snapshot {
	s := snapshot{at: time.Now()}
	s.selfUser, s.selfSys, s.selfErr = selfCPU()
	s.machBusy, s.machSoft, s.machErr = machineCPU()
	if pid > 0 {
		s.srvUser, s.srvSys, s.srvErr = processCPU(pid)
	} else {
		s.srvErr = fmt.Errorf("server cpu: no -pid given")
	}
	return s
}

// recordCPU fills res with the CPU the client, the server and the rest of
// the machine used between snapshots a and b, the server's per unit of work.
func recordCPU(res *result.Result, a, b snapshot, units float64, unit string) {
	wall := b.at.Sub(a.at).Seconds()
	if err := firstErr(a.selfErr, b.selfErr); err != nil {
		res.Notes = append(res.Notes, err.Error())
	} else {
		res.ClientCPU = cpuOver(b.selfUser-a.selfUser, b.selfSys-a.selfSys, wall)
	}
	srvErr := firstErr(a.srvErr, b.srvErr)
	if srvErr != nil {
		res.Notes = append(res.Notes, srvErr.Error())
	} else {
		user, sys := b.srvUser-a.srvUser, b.srvSys-a.srvSys
		res.ServerCPUPct = cpuOver(user, sys, wall).Pct
		if units > 0 {
			res.Unit = unit
			res.ServerUserUS = round2(float64(user.Microseconds()) / units)
			res.ServerSysUS = round2(float64(sys.Microseconds()) / units)
		}
	}
	if err := firstErr(a.machErr, b.machErr, a.selfErr, b.selfErr, srvErr); err != nil || wall <= 0 {
		return
	}
	soft := b.machSoft - a.machSoft
	res.SoftirqPct = round2(100 * soft.Seconds() / wall)
	other := (b.machBusy - a.machBusy).Seconds() - soft.Seconds() -
		(res.ClientCPU.UserS + res.ClientCPU.SysS) - (res.ServerCPUPct/100)*wall
	res.OtherCPUPct = round2(max(0, 100*other/wall))
}

// cpuOver describes user and sys CPU time used over wall seconds.
func cpuOver(user, sys time.Duration, wall float64) result.CPU {
	cpu := result.CPU{UserS: round3(user.Seconds()), SysS: round3(sys.Seconds())}
	if wall > 0 {
		cpu.Pct = round2(100 * (user + sys).Seconds() / wall)
	}
	return cpu
}

// recordRSS reads the server's RSS into *kib, or notes why it could not.
func recordRSS(res *result.Result, pid int, kib *int64) {
	if pid <= 0 {
		return
	}
	v, err := processRSS(pid)
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
		return
	}
	*kib = v
}

// micros converts d to microseconds, to one decimal.
func micros(d time.Duration) float64 {
	return float64(d.Nanoseconds()/100) / 10
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
