# A task waiting for another task: cancelling the outer one cancels the
# inner one it waits for; both end cancelled.
from conformance import *
import asyncio

async def inner():
    T("inner_start")
    await asyncio.sleep(10)

async def outer():
    t = loop.create_task(inner(), name = "inner")
    t.add_done_callback(lambda f: T("inner_done", f.cancelled()))
    state["inner"] = t
    T("outer_waits")
    await t
    T("never")

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    t = loop.create_task(outer(), name = "outer")
    t.add_done_callback(lambda f: T("outer_done", f.cancelled(), state["inner"].cancelled()))
    loop.call_later(0.01, lambda: T("cancel", t.cancel()))

run(main)
