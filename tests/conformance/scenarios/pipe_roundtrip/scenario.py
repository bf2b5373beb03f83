# A write pipe transport to a read pipe transport: data, close, EOF, both lost.
from conformance import *

def r_made(self, transport):
    T("reader_made", transport.is_reading())

def r_data(self, data):
    T("reader_data", data)

def r_eof(self):
    T("reader_eof")

def r_lost(self, exc):
    T("reader_lost", exc)

Reader = protocol("Reader", connection_made = r_made, data_received = r_data,
                  eof_received = r_eof, connection_lost = r_lost)

def w_made(self, transport):
    T("writer_made", transport.can_write_eof(), transport.get_write_buffer_size())

def w_lost(self, exc):
    T("writer_lost", exc)

Writer = protocol("Writer", connection_made = w_made, connection_lost = w_lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    r, w = make_pipe()
    rt, _ = loop.run_until_complete(loop.connect_read_pipe(Reader, r))
    wt, _ = loop.run_until_complete(loop.connect_write_pipe(Writer, w))
    wt.write(b"through the pipe")
    wt.close()
    T("closing", wt.is_closing())

run(main)
