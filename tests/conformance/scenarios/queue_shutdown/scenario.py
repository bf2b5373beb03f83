# Queue.shutdown(): a waiting get is woken with QueueShutDown once the queue
# is empty; items left are still got; puts fail at once.
from conformance import *
import asyncio

async def getter(q):
    for _ in range(5):
        try:
            x = await q.get()
        except asyncio.QueueShutDown as err:
            T("get failed", err)
            return
        T("got", x)

async def body():
    q = asyncio.Queue()
    q.put_nowait(1)
    t = loop.create_task(getter(q))
    await asyncio.sleep(0.01)
    q.put_nowait(2)
    q.shutdown()
    try:
        q.put_nowait(3)
    except asyncio.QueueShutDown as err:
        T("put after shutdown", err)
    await t

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
