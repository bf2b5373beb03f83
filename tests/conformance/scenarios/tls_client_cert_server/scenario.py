# A TLS server that requires a client certificate (CERT_REQUIRED, the CA
# loaded): the client's certificate is in peercert.
from conformance import *
import ssl

state = {}

def made(self, transport):
    cert = transport.get_extra_info("peercert")
    T("connection_made", cert["subject"])
    self.transport = transport

def data(self, data):
    T("data_received", data)
    self.transport.write(b"ok\n")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"), connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[1] + "/server.pem", argv[1] + "/server-key.pem")
    ctx.load_verify_locations(cafile = argv[1] + "/ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0, ssl = ctx))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
