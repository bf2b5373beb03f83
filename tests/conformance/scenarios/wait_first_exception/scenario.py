# wait(FIRST_EXCEPTION): completes at the first failure; a cancellation is
# not a failure; without failures it waits for all.
from conformance import *
import asyncio

def main(argv):
    loop.set_exception_handler(on_exception)
    a, b, c = loop.create_future(), loop.create_future(), loop.create_future()
    w = loop.wait([a, b, c], return_when = loop.FIRST_EXCEPTION)
    w.add_done_callback(lambda f: T("wait_done", len(f.result()[0]), len(f.result()[1]), a.done(), b.done(), c.done()))
    loop.call_later(0.01, lambda: T("cancel a", a.cancel()))
    loop.call_later(0.02, lambda: T("fail b", b.set_exception(ValueError("b"))))
    loop.call_later(0.03, lambda: T("result c", c.set_result(3)))
    x, y = loop.create_future(), loop.create_future()
    w2 = loop.wait([x, y], return_when = loop.FIRST_EXCEPTION)
    w2.add_done_callback(lambda f: T("w2_done", len(f.result()[0]), len(f.result()[1])))
    loop.call_later(0.01, lambda: x.set_result(1))
    loop.call_later(0.02, lambda: y.set_result(2))

run(main)
