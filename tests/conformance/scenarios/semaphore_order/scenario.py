# A Semaphore(2) lets two in; the others wait in order; it is locked()
# while anyone waits.
from conformance import *
import asyncio

async def worker(sem, name, delay):
    await sem.acquire()
    T("in", name, sem.locked())
    await asyncio.sleep(delay)
    T("out", name)
    sem.release()

async def body():
    sem = asyncio.Semaphore(2)
    ts = [loop.create_task(worker(sem, n, d)) for n, d in (("a", 0.1), ("b", 0.01), ("c", 0.01), ("d", 0.01))]
    await asyncio.gather(*ts)
    T("end", sem.locked())
    sem.release()
    T("released past value", sem.locked())

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
