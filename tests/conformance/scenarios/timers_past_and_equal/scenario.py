# call_at in the past runs before call_soon work scheduled after it? No:
# timers due run after the ready queue; past deadlines keep their order.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    now = loop.time()
    loop.call_at(now - 10, T, "at_minus_10")
    loop.call_at(now - 20, T, "at_minus_20")
    loop.call_soon(T, "soon")
    loop.call_later(0, T, "later_0")
    loop.call_at(now - 5, T, "at_minus_5")
    h = loop.call_at(now - 30, T, "at_minus_30_cancelled")
    h.cancel()

run(main)
