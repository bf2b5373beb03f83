# Only one read may wait at a time: a second fails with RuntimeError; the
# first still gets its data.
from conformance import *
import asyncio

async def client(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    first = loop.create_task(r.readline())
    await asyncio.sleep(0.01)
    try:
        await r.read(5)
    except RuntimeError as err:
        T("second", err, msg(err))
    peer("SEND")
    T("first", await first)
    w.close()

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(client(int(argv[2]))))

run(main)
