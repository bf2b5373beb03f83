# The peer resets: a waiting read fails with ConnectionResetError, drain()
# fails with the reader's error, wait_closed() with the connection's.
from conformance import *
import asyncio

async def client(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"hi")
    try:
        await r.read()
    except ConnectionResetError as err:
        T("read", err, r.exception())
    w.write(b"x")
    try:
        await w.drain()
    except ConnectionResetError as err:
        T("drain", err, w.is_closing())
    try:
        await w.wait_closed()
    except ConnectionResetError as err:
        T("wait_closed", err)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(client(int(argv[2]))))

run(main)
