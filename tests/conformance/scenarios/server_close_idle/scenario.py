# Closing a server with no connections: not serving, wait_closed completes.
from conformance import *
import asyncio

def main(argv):
    loop.set_exception_handler(on_exception)
    srv = loop.run_until_complete(loop.create_server(protocol("P"), "127.0.0.1", 0))
    T("serving", srv.is_serving(), len(srv.sockets))
    srv.close()
    T("serving", srv.is_serving())
    srv.close()
    w = asyncio.ensure_future(srv.wait_closed())
    w.add_done_callback(lambda w: T("wait_closed", w.result()))

run(main)
