# Cancelling a task that waits in sleep(): the task ends cancelled, the
# code after the wait never runs, its done callbacks see cancelled().
from conformance import *
import asyncio

async def sleeper():
    T("sleeping")
    await asyncio.sleep(10)
    T("never")

def main(argv):
    loop.set_exception_handler(on_exception)
    t = loop.create_task(sleeper(), name = "s")
    t.add_done_callback(lambda f: T("done", f.cancelled()))
    loop.call_later(0.01, lambda: cancel(t))

def cancel(t):
    T("cancel", t.cancel(), t.done())
    # Which iteration the cancellation ends in is compared.
    loop.call_soon(lambda: after(t, 1))

def after(t, n):
    T("after", n, t.cancelled())
    if n < 3:
        loop.call_soon(lambda: after(t, n + 1))
    else:
        T("cancel again", t.cancel())

run(main)
