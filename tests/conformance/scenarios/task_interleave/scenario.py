# Two tasks and call_soon callbacks interleave at each yield; waiting for a
# future that is already done does not yield.
from conformance import *
import asyncio

async def worker(name, n):
    done = loop.create_future()
    done.set_result(None)
    for i in range(n):
        T(name, i)
        await done
        T(name + " after done wait", i)
        await asyncio.sleep(0)
    return name

def main(argv):
    loop.set_exception_handler(on_exception)
    a = loop.create_task(worker("a", 3))
    b = loop.create_task(worker("b", 2))
    loop.call_soon(lambda: T("soon 1"))
    loop.call_soon(lambda: loop.call_soon(lambda: T("soon 2")))
    T("gathered", loop.run_until_complete(loop.gather(a, b)))

run(main)
