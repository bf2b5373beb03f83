package transports

import (
	"fmt"
	"math"

	"github.com/starnet-dev/starnet/loop"
)

// Default write-buffer watermarks, as asyncio's _FlowControlMixin.
const (
	DefaultHighWater = 64 << 10
	DefaultLowWater  = DefaultHighWater / 4
)

// Default write-buffer watermarks of a TLS transport, as asyncio's
// SSLProtocol (constants.FLOW_CONTROL_HIGH_WATER_SSL_WRITE).
const (
	DefaultTLSHighWater = 512 << 10
	DefaultTLSLowWater  = DefaultTLSHighWater / 4
)

// writeFlow is asyncio's _FlowControlMixin: the write-buffer watermarks and
// the paused state of the protocol's writing. A transport calls maybePause
// whenever its buffer grows and maybeResume whenever it shrinks; the
// protocol's PauseWriting is called once when the buffer goes strictly over
// the high-water mark, ResumeWriting once when it drains to the low-water
// mark or below. The zero value is not ready: call init.
type writeFlow struct {
	high, low int
	paused    bool
}

// init sets the default watermarks.
func (f *writeFlow) init() {
	f.high, f.low = DefaultHighWater, DefaultLowWater
	f.paused = false
}

// limits returns (low, high), as get_write_buffer_limits.
func (f *writeFlow) limits() (low, high int) { return f.low, f.high }

// setLimits validates and sets the watermarks with asyncio's defaulting
// rules. It does not re-check the buffer: the caller calls maybePause.
func (f *writeFlow) setLimits(high, low *int) error {
	return f.setLimitsOr(high, low, DefaultHighWater)
}

// setLimitsOr is setLimits with defaultHigh as the default high-water mark.
func (f *writeFlow) setLimitsOr(high, low *int, defaultHigh int) error {
	h, l, err := resolveWriteLimits(high, low, defaultHigh)
	if err != nil {
		return err
	}
	f.high, f.low = h, l
	return nil
}

// resolveWriteLimits applies asyncio's rules: nil high and low mean
// defaultHigh and a quarter of it; only high → low = high/4; only low →
// high = 4*low; high < low or a negative value is a ValueError.
func resolveWriteLimits(high, low *int, defaultHigh int) (int, int, error) {
	var h, l int
	switch {
	case high == nil && low == nil:
		h = defaultHigh
	case high == nil:
		h = 4 * *low
		if *low > math.MaxInt/4 {
			h = math.MaxInt // Python's integers do not overflow; ours saturate
		}
	default:
		h = *high
	}
	if low == nil {
		l = h / 4
		if h < 0 && h%4 != 0 {
			l-- // Python's floor division
		}
	} else {
		l = *low
	}
	if !(h >= l && l >= 0) {
		return 0, 0, NewError(KindValueError, fmt.Sprintf("high (%d) must be >= low (%d) must be >= 0", h, l))
	}
	return h, l, nil
}

// maybePause calls p.PauseWriting if size is over the high-water mark and
// writing is not paused yet. A panic in PauseWriting is reported to the loop's
// exception handler, as asyncio does with an exception.
func (f *writeFlow) maybePause(l *loop.Loop, size int, t BaseTransport, p BaseProtocol) {
	if size <= f.high || f.paused {
		return
	}
	f.paused = true
	callFlowCallback(l, t, p, callbackPauseWriting, p.PauseWriting)
}

// maybeResume calls p.ResumeWriting if writing is paused and size has drained
// to the low-water mark or below.
func (f *writeFlow) maybeResume(l *loop.Loop, size int, t BaseTransport, p BaseProtocol) {
	if !f.paused || size > f.low {
		return
	}
	f.paused = false
	callFlowCallback(l, t, p, callbackResumeWriting, p.ResumeWriting)
}

// tlsWriteFlow is a TLS transport's write flow control, as asyncio's
// SSLProtocol._control_app_writing, which differs from _FlowControlMixin:
// the watermarks default to 512 KiB and 128 KiB, and control pauses the
// protocol when the buffer reaches the high-water mark (size >= high), or
// else resumes it when it is at the low-water mark or below. The zero value
// is not ready: call init.
type tlsWriteFlow struct{ writeFlow }

// init sets the TLS default watermarks.
func (f *tlsWriteFlow) init() {
	f.high, f.low, f.paused = DefaultTLSHighWater, DefaultTLSLowWater, false
}

// setLimits is writeFlow.setLimits with the TLS defaults.
func (f *tlsWriteFlow) setLimits(high, low *int) error {
	return f.setLimitsOr(high, low, DefaultTLSHighWater)
}

// control checks size against the watermarks, as asyncio does after every
// write, flush and limit change: PauseWriting when size reaches high and
// writing is not paused, else ResumeWriting when it is paused and size is
// at low or below. (So with high and low 0 and an empty buffer, successive
// checks pause and resume in turn, as in asyncio.)
func (f *tlsWriteFlow) control(l *loop.Loop, size int, t BaseTransport, p BaseProtocol) {
	switch {
	case size >= f.high && !f.paused:
		f.paused = true
		callFlowCallback(l, t, p, callbackPauseWriting, p.PauseWriting)
	case size <= f.low && f.paused:
		f.paused = false
		callFlowCallback(l, t, p, callbackResumeWriting, p.ResumeWriting)
	}
}
