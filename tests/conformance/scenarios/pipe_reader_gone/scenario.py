# The read end goes away: an idle write pipe is lost with None, and later
# writes are dropped (asyncio logs from the fifth on).
from conformance import *

def w_lost(self, exc):
    T("writer_lost", exc)
    for i in range(6):
        T("write", i)
        self.transport.write(b"late")

def w_made(self, transport):
    self.transport = transport

Writer = protocol("Writer", connection_made = w_made, connection_lost = w_lost)

def r_made(self, transport):
    T("reader_made")
    transport.close()

Reader = protocol("Reader", connection_made = r_made,
                  connection_lost = lambda self, exc: T("reader_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    r, w = make_pipe()
    loop.run_until_complete(loop.connect_write_pipe(Writer, w))
    loop.run_until_complete(loop.connect_read_pipe(Reader, r))

run(main)
