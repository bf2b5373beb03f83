# A Lock is taken in the order asked; a release wakes the next waiter,
# which takes it on the next iteration; releasing an unlocked lock fails.
from conformance import *
import asyncio

async def worker(lock, name):
    await lock.acquire()
    T("acquired", name, lock.locked())
    await asyncio.sleep(0.005)
    T("release", name)
    lock.release()

async def body():
    lock = asyncio.Lock()
    ts = [loop.create_task(worker(lock, n)) for n in ("a", "b", "c")]
    await asyncio.gather(*ts)
    T("locked", lock.locked())
    try:
        lock.release()
    except RuntimeError as err:
        T("release unlocked", err, msg(err))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
