# wait(FIRST_COMPLETED) in a task: done holds the first to finish, pending
# the rest, which go on running and are not cancelled.
from conformance import *
import asyncio

async def body():
    slow = loop.create_task(asyncio.sleep(0.2, "slow"))
    fast = loop.create_task(asyncio.sleep(0.01, "fast"))
    done, pending = await asyncio.wait([slow, fast], return_when = asyncio.FIRST_COMPLETED)
    T("done", [f.result() for f in done], len(pending), slow in pending, slow.cancelled())
    done, pending = await asyncio.wait([slow, fast])
    T("all", sorted([f.result() for f in done]), len(pending))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
