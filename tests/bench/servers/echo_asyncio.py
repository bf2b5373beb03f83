#!/usr/bin/python3
"""Echo server for starnet's benchmarks, on CPython's asyncio or on uvloop.

    echo_asyncio.py [--uvloop] [--streams | --tls CERT KEY] [PORT [HOST]]

It sends back every byte it receives and closes a connection on EOF, with
the same protocol class on either loop. With --streams it is written on
asyncio's Streams API instead: asyncio.start_server, and for each client a
coroutine that loops on `await reader.read(65536)`, `writer.write(data)`,
`await writer.drain()` (the baseline of starnet's stream rows). With --tls it serves TLS with the
PEM certificate chain CERT and private key KEY (an ssl.SSLContext given to
create_server); EOF is then the client's close_notify, answered with ours.
The context follows the client's cipher preference (as Go's and Node's TLS
servers do), so that every server in the benchmark encrypts with the same
suite. PORT defaults to 0 (the kernel
chooses), HOST to 127.0.0.1. It prints "listening on HOST:PORT" once it
accepts, and stops on SIGINT or SIGTERM. Run it with Debian's
/usr/bin/python3, which has python3-uvloop.
"""

import argparse
import asyncio
import signal
import ssl
import sys


class Echo(asyncio.Protocol):
    """Writes back each chunk received; returns None from eof_received."""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def eof_received(self):
        return None


async def echo_stream(reader, writer):
    """The --streams handler: reads, writes back and drains until EOF."""
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


def new_loop(use_uvloop):
    if not use_uvloop:
        return asyncio.new_event_loop()
    import uvloop

    return uvloop.new_event_loop()


def server_context(certfile, keyfile):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    return ctx


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument("--streams", action="store_true", help="use asyncio's Streams API")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve TLS")
    parser.add_argument("port", nargs="?", type=int, default=0)
    parser.add_argument("host", nargs="?", default="127.0.0.1")
    args = parser.parse_args()

    loop = new_loop(args.uvloop)
    asyncio.set_event_loop(loop)
    ctx = server_context(*args.tls) if args.tls else None
    if args.streams:
        server = loop.run_until_complete(asyncio.start_server(echo_stream, args.host, args.port, ssl=ctx))
    else:
        server = loop.run_until_complete(loop.create_server(Echo, args.host, args.port, ssl=ctx))
    host, port = server.sockets[0].getsockname()[:2]
    print("listening on %s:%d" % (host, port), flush=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
