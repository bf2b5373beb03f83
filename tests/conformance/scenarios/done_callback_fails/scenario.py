# A failing done callback is reported with the callback's name; the others still run.
from conformance import *

def bad(f):
    fail("callback broke")

def main(argv):
    loop.set_exception_handler(on_exception)
    f = loop.create_future()
    f.add_done_callback(bad)
    f.add_done_callback(lambda f: T("second_callback", f.result()))
    loop.call_soon(f.set_result, "r")

run(main)
