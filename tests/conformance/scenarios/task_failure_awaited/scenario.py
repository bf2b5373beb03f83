# A task waits for a task that fails: the error reaches it with its class;
# a Starlark error is a ScriptError; the failed tasks end with exception().
from conformance import *
import asyncio

async def bad_value():
    await asyncio.sleep(0)
    await fail_with(ValueError("bad value"))

async def fail_with(err):
    raise err

async def bad_script():
    raise ScriptError("division by zero")

async def parent():
    a = loop.create_task(bad_value())
    b = loop.create_task(bad_script())
    try:
        await a
    except Exception as err:
        T("caught", err, msg(err))
    try:
        await b
    except Exception as err:
        T("caught", err)
    T("exceptions", a.exception(), b.exception() != None)
    return "parent done"

def main(argv):
    loop.set_exception_handler(on_exception)
    T("result", loop.run_until_complete(loop.create_task(parent())))

run(main)
