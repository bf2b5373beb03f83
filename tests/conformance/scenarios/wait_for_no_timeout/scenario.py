# wait_for with timeout None waits as long as it takes; a failing inner
# future fails it with the same error.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    a = loop.create_future()
    w = loop.wait_for(a, None)
    w.add_done_callback(lambda w: T("done", w.result()))
    loop.call_later(0.02, a.set_result, "late")
    b = loop.create_future()
    v = loop.wait_for(b, 1)
    v.add_done_callback(lambda v: T("failed", v.exception(), msg(v.exception())))
    loop.call_soon(b.set_exception, error("inner failed"))

run(main)
