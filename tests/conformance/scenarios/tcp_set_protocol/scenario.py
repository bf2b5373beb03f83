# set_protocol switches where later callbacks go; get_protocol tells.
from conformance import *

def made(self, transport):
    self.transport = transport

def first_data(self, data):
    T("first.data_received", data)
    second = Second(transport = self.transport)
    self.transport.set_protocol(second)
    T("switched", self.transport.get_protocol() == second)
    peer("TWO")

First = protocol("First", connection_made = made, data_received = first_data,
                 connection_lost = lambda self, exc: T("first.connection_lost", exc))

Second = protocol("Second",
    data_received = lambda self, data: T("second.data_received", data),
    eof_received = lambda self: T("second.eof_received"),
    connection_lost = lambda self, exc: T("second.connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(First, "127.0.0.1", int(argv[2])))

run(main)
