# as_completed with a timeout: the turns that have not come by then fail
# with TimeoutError; the futures themselves are not cancelled.
from conformance import *
import asyncio

async def body():
    a, b = loop.create_future(), loop.create_future()
    loop.call_later(0.01, lambda: a.set_result("a"))
    for f in asyncio.as_completed([a, b], timeout = 0.05):
        try:
            v, err = await f, None
        except BaseException as e:
            v, err = None, e
        T("next", v, err)
    T("b", b.done(), b.cancelled())

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
