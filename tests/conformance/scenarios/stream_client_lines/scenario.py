# open_connection: readline() to EOF (the partial line at EOF, then b""),
# write and drain, write_eof, close and wait_closed.
from conformance import *
import asyncio

async def client(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    T("can_write_eof", w.can_write_eof(), w.get_extra_info("peername") == w.transport.get_extra_info("peername"))
    for _ in range(4):
        line = await r.readline()
        T("line", line, r.at_eof())
        if line == b"":
            break
    w.write(b"thanks\n")
    w.writelines([b"a", b"b"])
    T("drain", await w.drain())
    w.write_eof()
    w.close()
    T("closing", w.is_closing())
    T("wait_closed", await w.wait_closed())

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_task(client(int(argv[2]))))

run(main)
