# A server that requires a client certificate gets none: no callback runs,
# nothing is reported (asyncio logs a failed handshake only in debug mode).
from conformance import *
import ssl

Server = protocol("Server", connection_made = lambda self, t: T("connection_made"),
                  connection_lost = lambda self, exc: T("connection_lost", exc))

def main(argv):
    loop.set_exception_handler(on_exception)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[1] + "/server.pem", argv[1] + "/server-key.pem")
    ctx.load_verify_locations(cafile = argv[1] + "/ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED
    server = loop.run_until_complete(loop.create_server(Server, "127.0.0.1", 0, ssl = ctx))
    peer("PORT %d" % server.sockets[0].getsockname()[1])
    loop.call_later(0.5, server.close)

run(main)
