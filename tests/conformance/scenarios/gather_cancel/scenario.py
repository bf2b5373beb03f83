# gather(...).cancel() cancels the children at once; the outer future then
# ends with a CancelledError exception rather than cancelled().
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    a = loop.create_future()
    b = loop.create_future()
    g = loop.gather(a, b)
    a.add_done_callback(lambda a: T("a_done", a.cancelled()))
    g.add_done_callback(lambda g: T("gather_done", g.cancelled(), g.exception()))
    T("cancel", g.cancel())
    T("children", a.cancelled(), b.cancelled())
    T("gather_state", g.done(), g.cancelled())

run(main)
