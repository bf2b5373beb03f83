# A task cancelled before its first step never runs.
from conformance import *

async def body():
    T("never")

def main(argv):
    loop.set_exception_handler(on_exception)
    t = loop.create_task(body())
    t.add_done_callback(lambda f: T("done", f.cancelled(), f.done()))
    T("cancel", t.cancel(), t.done(), t.cancelled())
    loop.call_soon(lambda: T("soon", t.done(), t.cancelled()))

run(main)
