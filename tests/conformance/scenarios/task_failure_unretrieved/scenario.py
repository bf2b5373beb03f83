# A task that fails and nobody asks for its error is reported through the
# exception handler ("Task exception was never retrieved").
from conformance import *
import asyncio

async def body():
    await asyncio.sleep(0)
    raise ValueError("nobody looks")

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.create_task(body())
    loop.call_later(0.05, lambda: T("later"))

run(main)
