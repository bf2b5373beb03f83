# write() after close() while data is still buffered: asyncio appends it and
# sends it before closing.
from conformance import *

def made(self, transport):
    transport.set_write_buffer_limits(high = 1 << 30)
    transport.write(b"a" * (8 << 20))
    T("buffered", transport.get_write_buffer_size() > 0)
    transport.close()
    transport.write(b"tail")
    T("after_write", transport.is_closing(), transport.get_write_buffer_size() > 0)
    peer("READ")

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
