# Event.set() wakes every waiter, in order; wait() on a set event returns
# at once; clear() makes later waiters wait again.
from conformance import *
import asyncio

async def waiter(ev, name):
    T("waiting", name)
    T("woken", name, await ev.wait())

async def body():
    ev = asyncio.Event()
    ts = [loop.create_task(waiter(ev, n)) for n in ("a", "b")]
    await asyncio.sleep(0.01)
    T("set", ev.is_set())
    ev.set()
    await asyncio.gather(*ts)
    T("again", await ev.wait())
    ev.clear()
    t = loop.create_task(waiter(ev, "c"))
    await asyncio.sleep(0.01)
    T("c done", t.done())
    ev.set()
    await t

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
