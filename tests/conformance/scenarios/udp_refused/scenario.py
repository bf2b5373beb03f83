# A connected UDP endpoint to a closed port: error_received(ConnectionRefusedError).
from conformance import *

def made(self, transport):
    self.transport = transport
    transport.sendto(b"anyone?")

def error(self, exc):
    T("error_received", exc)
    self.transport.close()

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, error_received = error,
                  connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_datagram_endpoint(Client, remote_addr = ("127.0.0.1", int(argv[2]))))

run(main)
