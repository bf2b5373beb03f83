# Cancelling a wait_for future cancels what it waits for.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    inner = loop.create_future()
    w = loop.wait_for(inner, 10)
    inner.add_done_callback(lambda f: T("inner_done", f.cancelled()))
    w.add_done_callback(lambda f: T("wait_for_done", f.cancelled()))
    loop.call_soon(lambda: T("cancel", w.cancel()))

run(main)
