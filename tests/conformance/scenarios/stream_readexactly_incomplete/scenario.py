# readexactly(n) when EOF comes first: IncompleteReadError with the bytes
# read (partial) and the count asked for (expected); then b"" and at_eof.
from conformance import *
import asyncio

async def client(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    T("two", await r.readexactly(2))
    try:
        await r.readexactly(5)
    except asyncio.IncompleteReadError as err:
        T("incomplete", err, err.partial, err.expected, msg(err))
    T("after", await r.read(), r.at_eof(), await r.readexactly(0))
    w.close()

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(client(int(argv[2]))))

run(main)
