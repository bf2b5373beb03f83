# A get() cancelled while it waits leaves the next item for the next get.
from conformance import *
import asyncio

async def getter(q, name):
    T("got", name, await q.get())

async def body():
    q = asyncio.Queue()
    a = loop.create_task(getter(q, "a"))
    b = loop.create_task(getter(q, "b"))
    await asyncio.sleep(0.005)
    T("cancel a", a.cancel())
    q.put_nowait("item")
    await asyncio.wait([a, b])
    T("end", a.cancelled(), q.qsize())

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
