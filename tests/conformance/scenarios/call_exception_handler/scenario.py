# call_exception_handler with a context of the script's own reaches the handler.
from conformance import *

def handler(loop, ctx):
    T("handler", ctx["message"], ctx.get("exception"), ctx.get("custom"))

def main(argv):
    loop.set_exception_handler(handler)
    loop.call_exception_handler({"message": "just a message"})
    loop.call_exception_handler({"message": "with extra", "custom": 42})
    f = loop.create_future()
    f.set_exception(error("inner"))
    loop.call_exception_handler({"message": "with exception", "exception": f.exception()})

run(main)
