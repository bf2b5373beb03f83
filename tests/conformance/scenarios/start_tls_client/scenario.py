# start_tls on the client side: plain text first, then the upgrade; the
# protocol gets the TLS data and one connection_lost.
from conformance import *
import ssl

def made(self, transport):
    T("connection_made")
    self.transport = transport
    self.tls = False
    transport.write(b"STARTTLS\n")

def data(self, data):
    if self.tls:
        T("tls data", data)
        self.transport.close()
        return
    T("plain data", data)
    self.tls = True
    ctx = ssl.create_default_context(cafile = self.pki + "/ca.pem")
    fut = loop.start_tls(self.transport, self, ctx, server_hostname = "localhost")
    fut.add_done_callback(lambda f: upgraded(self, f))

def upgraded(self, f):
    tls = f.result()
    T("upgraded", tls.get_extra_info("ssl_object").version(), tls.get_protocol() == self, self.transport.is_closing())
    self.transport = tls
    tls.write(b"secret\n")

Client = protocol("Client", connection_made = made, data_received = data,
                  eof_received = lambda self: T("eof_received"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.create_connection(lambda: Client(pki = argv[1]), "127.0.0.1", int(argv[2])))

run(main)
