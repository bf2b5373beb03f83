# A waiter cancelled while it waits for a Lock gives up its turn: the next
# waiter gets the lock; the cancelled one never holds it.
from conformance import *
import asyncio

async def worker(lock, name):
    await lock.acquire()
    T("acquired", name)
    await asyncio.sleep(0.01)
    lock.release()

async def body():
    lock = asyncio.Lock()
    a = loop.create_task(worker(lock, "a"))
    b = loop.create_task(worker(lock, "b"))
    c = loop.create_task(worker(lock, "c"))
    await asyncio.sleep(0.005)
    T("cancel b", b.cancel())
    await asyncio.wait([a, b, c])
    T("end", b.cancelled(), lock.locked())

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
