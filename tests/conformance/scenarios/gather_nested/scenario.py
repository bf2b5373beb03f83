# A gather of gathers; the inner failure reaches the outer one.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    a = loop.create_future()
    b = loop.create_future()
    c = loop.create_future()
    inner = loop.gather(a, b)
    outer = loop.gather(inner, c, return_exceptions = True)
    outer.add_done_callback(lambda f: T("outer_done", f.result()))
    loop.call_soon(a.set_result, 1)
    loop.call_soon(b.set_exception, error("b broke"))
    loop.call_later(0.01, c.set_result, 3)

run(main)
