# gather of futures already done completes at once; a future listed twice
# appears twice; a cancelled child fails gather with CancelledError.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    a = loop.create_future()
    a.set_result(1)
    g = loop.gather(a, a)
    T("eager", g.done())
    g.add_done_callback(lambda g: T("eager_result", g.result()))
    b = loop.create_future()
    c = loop.create_future()
    h = loop.gather(b, c)
    h.add_done_callback(lambda h: T("cancelled_child", h.cancelled(), h.exception()))
    b.cancel()
    loop.call_later(0.01, lambda: T("c_still_pending", c.done(), c.cancel()))

run(main)
