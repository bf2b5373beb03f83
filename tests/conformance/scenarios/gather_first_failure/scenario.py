# gather() fails with the child that failed first, not the first in argument order.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    a = loop.create_future()
    b = loop.create_future()
    c = loop.create_future()
    g = loop.gather(a, b, c)
    g.add_done_callback(lambda g: T("gather_done", g.exception(), msg(g.exception())))
    c.set_exception(error("third"))
    loop.call_soon(a.set_exception, error("first"))
    loop.call_later(0.01, b.set_result, 2)
    loop.call_later(0.02, lambda: T("retrieved", msg(a.exception()), msg(c.exception()), b.result()))

run(main)
