# set_protocol from a Protocol to a BufferedProtocol: later data goes
# through get_buffer/buffer_updated.
from conformance import *

def made(self, transport):
    self.transport = transport

def first_data(self, data):
    T("first.data_received", data)
    second = Second(transport = self.transport, buf = bytearray(16), got = b"")
    self.transport.set_protocol(second)
    peer("TWO")

def get_buffer(self, n):
    return self.buf

def updated(self, n):
    self.got += self.buf[:n]

def second_eof(self):
    T("second.eof_received", self.got)

First = protocol("First", connection_made = made, data_received = first_data)

Second = protocol("Second", get_buffer = get_buffer, buffer_updated = updated,
    eof_received = second_eof,
    connection_lost = lambda self, exc: T("second.connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(First, "127.0.0.1", int(argv[2])))

run(main)
