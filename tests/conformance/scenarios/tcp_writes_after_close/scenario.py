# Writes to a closed transport are dropped; from the fifth on asyncio logs
# "socket.send() raised exception." each time (close() counts as the first).
from conformance import *

def made(self, transport):
    transport.write(b"sent")
    self.transport = transport

def data(self, data):
    pass

Client = protocol("Client", connection_made = made)

def lost(self, exc):
    T("connection_lost", exc)
    for i in range(7):
        T("write", i)
        self.transport.write(b"late")

def made2(self, transport):
    transport.close()
    for i in range(3):
        T("write_after_close", i)
        transport.write(b"dropped")
    transport.write(b"")
    self.transport = transport

Closer = protocol("Closer", connection_made = made2, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Closer, "127.0.0.1", int(argv[2])))

run(main)
