# Cancelling a future with done callbacks: they run in order, after what
# was already scheduled; a second cancel reports false.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    f = loop.create_future()
    loop.call_soon(T, "scheduled_before")
    f.add_done_callback(lambda f: T("cb1", f.cancelled()))
    f.add_done_callback(lambda f: T("cb2", f.done()))
    T("cancel", f.cancel(), f.cancel())
    loop.call_soon(T, "scheduled_after")
    g = loop.create_future()
    g.set_result("x")
    T("cancel_done", g.cancel(), g.cancelled())
    g.add_done_callback(lambda g: T("late_cb", g.result()))

run(main)
