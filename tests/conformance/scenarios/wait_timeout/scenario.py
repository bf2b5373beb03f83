# wait(timeout=): the timeout leaves the futures pending and uncancelled;
# cancelling the wait's own future does not cancel them either.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    a, b = loop.create_future(), loop.create_future()
    loop.call_soon(lambda: a.set_result("a"))
    w = loop.wait([a, b], timeout = 0.02)
    w.add_done_callback(lambda f: T("timed_out", [x.result() for x in f.result()[0]], len(f.result()[1]), b.cancelled()))
    c = loop.create_future()
    w2 = loop.wait([c])
    loop.call_later(0.01, lambda: T("cancel wait", w2.cancel(), c.cancelled()))
    w2.add_done_callback(lambda f: T("w2_done", f.cancelled(), c.done()))
    loop.call_later(0.04, lambda: T("end", b.done(), c.done()))

run(main)
