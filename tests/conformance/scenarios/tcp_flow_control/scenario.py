# pause_writing once when the buffer goes over the high-water mark,
# resume_writing once when it drains to the low-water mark.
from conformance import *

def made(self, transport):
    self.transport = transport
    T("limits", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(high = 1000)
    T("limits", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(low = 100)
    T("limits", transport.get_write_buffer_limits())
    transport.set_write_buffer_limits(high = 4000, low = 1000)
    T("limits", transport.get_write_buffer_limits())
    for i in range(8):
        transport.write(b"x" * (1 << 20))
    T("written", transport.get_write_buffer_size() > 4000)
    peer("READ")

def pause(self):
    T("pause_writing", self.transport.get_write_buffer_size() > 4000)

def resume(self):
    T("resume_writing", self.transport.get_write_buffer_size() <= 1000)
    self.transport.close()

def lost(self, exc):
    T("connection_lost", exc)

Client = protocol("Client", connection_made = made, pause_writing = pause,
                  resume_writing = resume, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
