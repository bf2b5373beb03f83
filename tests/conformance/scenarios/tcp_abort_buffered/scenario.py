# abort() drops the buffer: connection_lost(None) at once, the peer gets less.
from conformance import *

def made(self, transport):
    transport.write(b"a" * (8 << 20))
    transport.abort()
    T("aborted", transport.is_closing(), transport.get_write_buffer_size())
    transport.abort()
    transport.close()
    peer("READ")

def lost(self, exc):
    T("connection_lost", exc)

def pause(self):
    T("pause_writing")

Client = protocol("Client", connection_made = made, connection_lost = lost, pause_writing = pause)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
