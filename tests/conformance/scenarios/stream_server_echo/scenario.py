# start_server: the handler serves each client in a task, echoing lines
# until EOF; the server then closes and wait_closed completes.
from conformance import *
import asyncio

state = {}

async def serve(r, w):
    while True:
        line = await r.readline()
        T("server line", line)
        if line == b"":
            break
        w.write(b"> " + line)
        await w.drain()
    w.close()
    await w.wait_closed()
    T("client done")
    state["server"].close()
    await state["server"].wait_closed()
    T("server closed", state["server"].is_serving())

def handler(r, w):
    T("handler", w.get_extra_info("sockname") == state["server"].sockets[0].getsockname())
    loop.create_task(serve(r, w))

def main(argv):
    loop.set_exception_handler(on_exception)
    state["server"] = loop.run_until_complete(loop.start_server(handler, "127.0.0.1", 0))
    T("serving", state["server"].is_serving())
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
