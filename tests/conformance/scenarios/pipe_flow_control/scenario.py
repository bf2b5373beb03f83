# A write pipe whose reader does not read: pause_writing over the high
# mark, resume_writing once the reader drains it.
from conformance import *

def w_made(self, transport):
    self.transport = transport
    transport.set_write_buffer_limits(high = 1000, low = 100)
    for i in range(4):
        transport.write(b"p" * 65536)
    T("buffered", transport.get_write_buffer_size() > 1000)

def w_pause(self):
    T("pause_writing")
    loop.call_later(0.05, start_reader)

def w_resume(self):
    T("resume_writing", self.transport.get_write_buffer_size() <= 100)
    # Not close() here: asyncio's pipe would then call connection_lost
    # twice (its _write_ready closes again after resume_writing).
    loop.call_soon(self.transport.close)

Writer = protocol("Writer", connection_made = w_made, pause_writing = w_pause,
                  resume_writing = w_resume, connection_lost = lambda self, exc: T("writer_lost", exc))

def r_data(self, data):
    self.n += len(data)

def r_eof(self):
    T("reader_eof", self.n)

Reader = protocol("Reader", data_received = r_data, eof_received = r_eof,
                  connection_lost = lambda self, exc: T("reader_lost", exc))

state = {}

def start_reader():
    T("start_reader")
    r = Reader()
    r.n = 0
    loop.connect_read_pipe(lambda: r, state["r"])

def main(argv):
    loop.set_exception_handler(on_exception)
    r, w = make_pipe()
    state["r"] = r
    loop.run_until_complete(loop.connect_write_pipe(Writer, w))

run(main)
