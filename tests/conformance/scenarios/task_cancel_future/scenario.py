# Cancelling a task that waits for a plain future cancels that future.
from conformance import *

async def waiter(fut):
    T("waiting")
    await fut
    T("never")

def main(argv):
    loop.set_exception_handler(on_exception)
    fut = loop.create_future()
    fut.add_done_callback(lambda f: T("future_done", f.cancelled()))
    t = loop.create_task(waiter(fut))
    t.add_done_callback(lambda f: T("task_done", f.cancelled()))
    loop.call_later(0.01, lambda: T("cancel", t.cancel()))

run(main)
