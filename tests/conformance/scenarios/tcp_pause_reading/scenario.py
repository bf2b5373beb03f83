# pause_reading stops data_received (and EOF) until resume_reading; both idempotent.
from conformance import *

def made(self, transport):
    self.transport = transport

def data(self, data):
    T("data_received", data, self.transport.is_reading())
    if data == b"first":
        self.transport.pause_reading()
        self.transport.pause_reading()
        T("paused", self.transport.is_reading())
        peer("SECOND")
        loop.call_later(0.2, self.resume)

def resume(self):
    T("resume", self.transport.is_reading())
    self.transport.resume_reading()
    self.transport.resume_reading()
    T("resumed", self.transport.is_reading())

def eof(self):
    T("eof_received")

def lost(self, exc):
    T("connection_lost", exc, self.transport.is_reading())

Client = protocol("Client", connection_made = made, data_received = data, eof_received = eof,
                  connection_lost = lost, resume = resume)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", int(argv[2])))

run(main)
