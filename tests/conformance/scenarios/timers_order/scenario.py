# Timers run by deadline; call_soon callbacks first; a cancelled handle never runs.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.call_later(0.05, T, "later_50ms")
    loop.call_later(0.01, T, "later_10ms")
    loop.call_soon(T, "soon_1")
    h = loop.call_later(0.02, T, "cancelled_timer")
    loop.call_later(0, T, "later_0")
    loop.call_later(-1, T, "later_negative")
    loop.call_at(loop.time() + 0.03, T, "at_30ms")
    loop.call_soon(T, "soon_2")
    T("cancelled_before", h.cancelled())
    h.cancel()
    T("cancelled_after", h.cancelled())
    s = loop.call_soon(T, "cancelled_soon")
    s.cancel()

run(main)
