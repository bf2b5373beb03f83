# Inside a task, wait_for of a slow sleep fails with TimeoutError, caught;
# a fast one returns its result.
from conformance import *
import asyncio

async def body():
    try:
        await asyncio.wait_for(asyncio.sleep(10), 0.01)
    except TimeoutError as err:
        T("slow", err)
    T("fast", await asyncio.wait_for(asyncio.sleep(0, "r"), 5))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(body()))

run(main)
