package runtime

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// signalFanout is the one SIGINT/SIGTERM subscription of a runtime with
// several loops (Config.HandleSignals): each signal is handed to every
// loop's copy of the script, whose default handling drains it (or, on the
// second signal, aborts it) unless the script installed its own handler.
type signalFanout struct {
	ch   chan os.Signal
	done chan struct{}
	once sync.Once
}

// startSignalFanout subscribes to SIGINT and SIGTERM for every loop.
func (r *Runtime) startSignalFanout() *signalFanout {
	sf := &signalFanout{ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(sf.ch, syscall.SIGINT, syscall.SIGTERM)
	go sf.forward(r)
	return sf
}

// forward hands each signal to every loop until stop.
func (sf *signalFanout) forward(r *Runtime) {
	for {
		select {
		case s := <-sf.ch:
			sig, ok := s.(syscall.Signal)
			if !ok {
				continue
			}
			for _, c := range r.copies {
				c.env.NoteSignal(sig) // now, even if the loop is busy
				c.post(func() { c.env.DeliverSignal(sig) })
			}
		case <-sf.done:
			return
		}
	}
}

// stop ends the subscription; stopping nil or twice is harmless.
func (sf *signalFanout) stop() {
	if sf == nil {
		return
	}
	sf.once.Do(func() {
		signal.Stop(sf.ch)
		close(sf.done)
	})
}
