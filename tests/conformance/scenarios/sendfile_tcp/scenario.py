# loop.sendfile: a slice (offset, count), then the whole file; the Future
# gives the bytes sent; the transport then closes.
from conformance import *

def made(self, transport):
    T("connection_made")
    self.transport = transport

Client = protocol("Client", connection_made = made,
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    transport, _ = loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))
    f = open(argv[3], "rb")
    T("slice", loop.run_until_complete(loop.sendfile(transport, f, offset = 250, count = 10)))
    T("whole", loop.run_until_complete(loop.sendfile(transport, f)))
    f.close()
    transport.close()

run(main)
