# A connection handler that fails is reported ("Unhandled exception in
# client_connected_cb") and its connection closed; the next one is served.
from conformance import *
import asyncio

state = {"n": 0}

async def serve(r, w):
    state["n"] += 1
    if state["n"] == 1:
        fail("boom")
    w.write(await r.readline())
    w.close()
    state["server"].close()

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.start_server(serve, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
