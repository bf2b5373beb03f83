# A failing timer or call_soon callback is reported through the exception handler.
from conformance import *

def boom(x):
    fail("boom %s" % x)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.call_soon(boom, 1)
    loop.call_later(0.01, boom, 2)
    loop.call_soon(T, "after")

run(main)
