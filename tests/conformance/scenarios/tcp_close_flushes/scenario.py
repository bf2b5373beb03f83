# close() with data buffered: flushed first, then connection_lost(None).
from conformance import *

def made(self, transport):
    transport.write(b"z" * (4 << 20))
    transport.close()
    T("closing", transport.is_closing(), transport.get_write_buffer_size() > 0)
    transport.close()
    peer("READ")

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, connection_lost = lost,
                  pause_writing = lambda self: T("pause_writing"),
                  resume_writing = lambda self: T("resume_writing"))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
