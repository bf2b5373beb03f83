# A Queue(maxsize=1) between a producer and a consumer: items in order, the
# producer waits while full; get_nowait on empty and put_nowait on full fail.
from conformance import *
import asyncio

async def producer(q):
    for i in range(4):
        await q.put(i)
        T("put", i, q.qsize(), q.full())
    await q.put(None)

async def consumer(q):
    for _ in range(10):
        x = await q.get()
        T("got", x)
        if x == None:
            return

async def body():
    q = asyncio.Queue(1)
    try:
        q.get_nowait()
    except asyncio.QueueEmpty as err:
        T("get_nowait", err)
    await asyncio.gather(loop.create_task(producer(q)), loop.create_task(consumer(q)))
    q.put_nowait("x")
    try:
        q.put_nowait("y")
    except asyncio.QueueFull as err:
        T("put_nowait", err, q.qsize(), q.empty())

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
