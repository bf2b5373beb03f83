# A TLS server: echoes a line; the client's close_notify is an EOF.
from conformance import *
import ssl

def made(self, transport):
    T("connection_made", transport.get_extra_info("ssl_object").version())
    self.transport = transport

def data(self, data):
    T("data_received", data)
    self.transport.write(data)

def eof(self):
    T("eof_received")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Echo = protocol("Echo", connection_made = made, data_received = data,
                eof_received = eof, connection_lost = lost)

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[1] + "/server.pem", argv[1] + "/server-key.pem")
    state["server"] = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0, ssl = ctx))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
