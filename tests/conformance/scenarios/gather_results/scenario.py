# gather() collects results in argument order; return_exceptions puts errors in the list.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    a = loop.create_future()
    b = loop.create_future()
    c = loop.create_future()
    g = loop.gather(a, b)
    g.add_done_callback(lambda g: T("gather_done", g.result()))
    h = loop.gather(a, c, return_exceptions = True)
    h.add_done_callback(lambda h: T("gather_exc_done", h.result()))
    e = loop.gather()
    e.add_done_callback(lambda e: T("gather_empty", e.result()))
    loop.call_later(0.01, b.set_result, "b")
    loop.call_later(0.02, a.set_result, "a")
    loop.call_soon(c.set_exception, error("c failed"))

run(main)
