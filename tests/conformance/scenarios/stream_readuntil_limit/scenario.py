# limit=4: readuntil past the limit fails with LimitOverrunError and keeps
# the data; readline then drops the line with ValueError; read() gets the
# rest; readuntil at EOF fails with IncompleteReadError (expected None).
from conformance import *
import asyncio

async def client(port):
    r, w = await asyncio.open_connection("127.0.0.1", port, limit = 4)
    await asyncio.sleep(0.05)
    try:
        await r.readuntil(b"\n")
    except asyncio.LimitOverrunError as err:
        T("readuntil", err, err.consumed >= 4)
    try:
        await r.readline()
    except ValueError as err:
        T("readline", err)
    T("read", await r.read())
    try:
        await r.readuntil(b"\n")
    except asyncio.IncompleteReadError as err:
        T("at eof", err, err.partial, err.expected)
    w.close()

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(client(int(argv[2]))))

run(main)
