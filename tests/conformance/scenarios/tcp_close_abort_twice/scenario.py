# close() and abort() repeated: connection_lost exactly once.
from conformance import *

def made(self, transport):
    transport.close()
    transport.close()
    transport.abort()
    T("closing", transport.is_closing())

Client = protocol("Client", connection_made = made,
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
