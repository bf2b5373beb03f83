# After the peer's EOF the stream can still write: read(n) pieces, read()
# to EOF, then write, drain and write_eof reach the peer.
from conformance import *
import asyncio

async def client(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    data = await r.readexactly(2)
    T("read", data)
    T("rest", await r.read(), r.at_eof(), w.is_closing())
    w.write(b"after eof")
    await w.drain()
    w.write_eof()
    T("eof sent", w.is_closing())
    T("again", await r.read(10))
    w.close()
    await w.wait_closed()

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(client(int(argv[2]))))

run(main)
