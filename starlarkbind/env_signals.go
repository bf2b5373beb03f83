package starlarkbind

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// The default SIGINT/SIGTERM handling (Options.HandleSignals): the first
// signal drains gracefully and exits with 128+signal, the second aborts;
// a script's own handler for the signal replaces it. With
// Options.SignalsFromHost the host delivers the signals (DeliverSignal).

// installDefaultSignals sets the default SIGINT/SIGTERM handling.
func (e *Env) installDefaultSignals() {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		e.setDefaultSignal(sig)
	}
}

func (e *Env) setDefaultSignal(sig syscall.Signal) {
	if e.signalsFromHost {
		// The host delivers sig through DeliverSignal; the loop's own
		// subscription, if a script handler made one, goes.
		e.loop.RemoveSignalHandler(sig)
		e.defaultSi[sig] = true
		e.setDefaultBit(sig, true)
		return
	}
	if err := e.loop.AddSignalHandler(sig, func() { e.onDefaultSignal(sig) }); err != nil {
		fmt.Fprintf(e.stderr, "starnet: cannot handle %v: %v\n", sig, err)
		return
	}
	e.defaultSi[sig] = true
	e.setDefaultBit(sig, true)
}

// setDefaultBit records, for NoteSignal, whether sig is handled by default
// (on) or by the script.
func (e *Env) setDefaultBit(sig syscall.Signal, on bool) {
	bit := uint64(1) << (uint(sig) & 63)
	for {
		old := e.defaultBits.Load()
		next := old &^ bit
		if on {
			next = old | bit
		}
		if e.defaultBits.CompareAndSwap(old, next) {
			return
		}
	}
}

// NoteSignal records that sig arrived, as soon as it arrives: it may be
// called from any goroutine, and the loop calls it (OnSignalArrival) before
// it schedules the signal's handling. When sig is handled by default and
// it is the second such signal, the Starlark code running at that moment is
// cancelled ("Starlark computation cancelled: second SIGINT: aborting"), so
// that a callback in an endless loop (--max-steps 0) cannot keep the loop
// from taking the signal and aborting.
func (e *Env) NoteSignal(sig syscall.Signal) {
	if e.defaultBits.Load()&(uint64(1)<<(uint(sig)&63)) == 0 {
		return
	}
	if e.signalsNoted.Add(1) >= 2 {
		e.CancelRunning(fmt.Sprintf("second %s: aborting", unix.SignalName(sig)))
	}
}

// onDefaultSignal drains gracefully on the first signal and aborts on the
// second.
func (e *Env) onDefaultSignal(sig syscall.Signal) {
	e.signals++
	if e.signals > 1 {
		e.Shutdown(true)
		e.loop.Stop()
		return
	}
	e.reportUnclosedAtExit() // debug mode (debugreport.go)
	e.markExited(128 + int(sig))
	e.Shutdown(false)
	e.stopWhenDrained()
}

// DeliverSignal hands the env a signal that the host received for it
// (Options.SignalsFromHost); call it on the loop's goroutine. It applies the
// default handling — a graceful drain, then an abort on the second signal —
// unless the script installed its own handler for sig, which the loop calls
// itself.
func (e *Env) DeliverSignal(sig syscall.Signal) {
	if e.defaultSi[sig] && !e.loopValue.scriptSi[sig] {
		e.onDefaultSignal(sig)
	}
}
