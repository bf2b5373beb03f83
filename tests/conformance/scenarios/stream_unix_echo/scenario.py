# start_unix_server and open_unix_connection in one program: a line echoed.
from conformance import *
import asyncio

async def serve(r, w):
    w.write(b"echo " + await r.readline())
    await w.drain()
    w.close()

async def client(path, server):
    r, w = await asyncio.open_unix_connection(path)
    T("peername", w.get_extra_info("peername") == path)
    w.write(b"hi\n")
    T("got", await r.read())
    w.close()
    await w.wait_closed()
    server.close()
    await server.wait_closed()
    T("closed")

def main(argv):
    loop.set_exception_handler(on_exception)
    path = argv[0] + "/s.sock"
    server = loop.run_until_complete(loop.start_unix_server(lambda r, w: loop.create_task(serve(r, w)), path))
    loop.run_until_complete(loop.create_task(client(path, server)))

run(main)
