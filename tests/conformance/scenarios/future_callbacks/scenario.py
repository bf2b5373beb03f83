# Done callbacks run soon after the result is set, in the order added.
from conformance import *

def main(argv):
    f = loop.create_future()
    f.add_done_callback(lambda f: T("cb1", f.result()))
    f.add_done_callback(lambda f: T("cb2", f.done(), f.cancelled()))
    T("done_before", f.done())
    f.set_result(42)
    T("done_after", f.done(), f.result())
    loop.call_soon(T, "soon_after_set")
    g = loop.create_future()
    g.add_done_callback(lambda g: T("g_cb", g.cancelled()))
    T("cancel", g.cancel())
    T("cancel_again", g.cancel())
    T("g_cancelled", g.cancelled(), g.done())
    h = loop.create_future()
    h.add_done_callback(lambda h: T("h_cb", h.exception()))
    h.set_exception(error("boom"))
    T("h_exception", h.exception(), msg(h.exception()))

run(main)
