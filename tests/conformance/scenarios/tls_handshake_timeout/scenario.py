# A server that never answers the handshake: create_connection fails after
# ssl_handshake_timeout, and the connection is aborted.
from conformance import *
import ssl

Client = protocol("Client", connection_made = lambda self, t: T("connection_made"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.create_default_context(cafile = argv[1] + "/ca.pem")
    f = loop.create_connection(Client, "127.0.0.1", int(argv[2]), ssl = ctx, server_hostname = "localhost",
                               ssl_handshake_timeout = 0.3)
    f.add_done_callback(lambda f: T("done", f.exception(), msg(f.exception())))

run(main)
