# The CancelledError of a future a task waited for (the task itself not
# cancelled) is caught like any error; the task goes on.
from conformance import *
import asyncio

async def body(fut):
    try:
        await fut
    except asyncio.CancelledError as err:
        T("caught", err)
    await asyncio.sleep(0)
    T("still running", loop.current_task().cancelled())
    return 7

def main(argv):
    loop.set_exception_handler(on_exception)
    fut = loop.create_future()
    t = loop.create_task(body(fut))
    loop.call_later(0.01, lambda: T("cancel_future", fut.cancel()))
    T("result", loop.run_until_complete(t))

run(main)
