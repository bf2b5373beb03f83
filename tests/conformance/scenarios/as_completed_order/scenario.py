# as_completed yields outcomes in the order the futures finish: results,
# errors and cancellations alike.
from conformance import *
import asyncio

async def body():
    a, b, c = loop.create_future(), loop.create_future(), loop.create_future()
    loop.call_later(0.03, lambda: a.set_result("a"))
    loop.call_later(0.01, lambda: b.set_exception(KeyError("b")))
    loop.call_later(0.02, lambda: c.cancel())
    for f in asyncio.as_completed([a, b, c]):
        try:
            v, err = await f, None
        except BaseException as e:
            v, err = None, e
        T("next", v, err)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
