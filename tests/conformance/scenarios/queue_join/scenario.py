# Queue.join() completes once every item put was marked task_done();
# one task_done too many fails with ValueError.
from conformance import *
import asyncio

async def worker(q):
    for _ in range(3):
        x = await q.get()
        await asyncio.sleep(0.005)
        T("done with", x)
        q.task_done()

async def body():
    q = asyncio.Queue()
    for x in ("a", "b", "c"):
        q.put_nowait(x)
    loop.create_task(worker(q))
    await q.join()
    T("joined", q.qsize())
    try:
        q.task_done()
    except ValueError as err:
        T("task_done", err, msg(err))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
