# The peer resets the connection: connection_lost gets ConnectionResetError.
from conformance import *

def made(self, transport):
    T("connection_made")
    self.transport = transport

def data(self, data):
    T("data_received", data)
    self.transport.write(b"x")

def eof(self):
    T("eof_received")

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, data_received = data,
                  eof_received = eof, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
