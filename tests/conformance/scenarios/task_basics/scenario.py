# create_task runs the function at the next iteration; current_task inside
# a task is that task, outside one None; the result is the task's.
from conformance import *
import asyncio

async def child(x):
    T("child_start", x, loop.current_task().get_name())
    await asyncio.sleep(0)
    T("child_resumed", x)
    return x * 2

def main(argv):
    loop.set_exception_handler(on_exception)
    t = loop.create_task(child(21), name = "c")
    T("created", t.done(), t.get_name(), loop.current_task() == None)
    loop.call_soon(lambda: T("call_soon", loop.current_task() == None))
    t.add_done_callback(lambda f: T("done", f.result(), f.cancelled()))
    t.set_name("renamed")
    T("result", loop.run_until_complete(t), t.get_name())

run(main)
