# A read pipe paused in data_received gets nothing until resumed; then the
# rest and EOF.
from conformance import *

def r_made(self, transport):
    self.transport = transport

def r_data(self, data):
    T("data_received", data, self.transport.is_reading())
    if data == b"one":
        self.transport.pause_reading()
        T("paused", self.transport.is_reading())
        state["w"].write(b"two")
        state["w"].close()
        loop.call_later(0.1, self.resume)

def resume(self):
    T("resume")
    self.transport.resume_reading()

Reader = protocol("Reader", connection_made = r_made, data_received = r_data, resume = resume,
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("reader_lost", exc))

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    r, w = make_pipe()
    wt, _ = loop.run_until_complete(loop.connect_write_pipe(protocol("W"), w))
    state["w"] = wt
    loop.run_until_complete(loop.connect_read_pipe(Reader, r))
    wt.write(b"one")

run(main)
