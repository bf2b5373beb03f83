# start_tls on the server side: "STARTTLS" in plain text, OK, then the
# upgrade with server_side=True; the server speaks first over TLS; the
# client's close_notify is an EOF.
from conformance import *
import ssl

state = {}

def made(self, transport):
    T("connection_made")
    self.transport = transport
    self.tls = False

def data(self, data):
    if self.tls:
        T("tls data", data)
        self.transport.write(b"echo " + data)
        return
    T("plain data", data)
    self.transport.write(b"OK\n")
    self.tls = True
    fut = loop.start_tls(self.transport, self, state["ctx"], server_side = True)
    fut.add_done_callback(lambda f: upgraded(self, f))

def upgraded(self, f):
    tls = f.result()
    T("upgraded", tls.get_extra_info("ssl_object").version(), tls.get_extra_info("ssl_object").server_side)
    self.transport = tls
    tls.write(b"ready\n")

def lost(self, exc):
    T("connection_lost", exc)
    state["server"].close()

Server = protocol("Server", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"), connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[1] + "/server.pem", argv[1] + "/server-key.pem")
    state["ctx"] = ctx
    state["server"] = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0))
    peer("PORT %d" % state["server"].sockets[0].getsockname()[1])

run(main)
