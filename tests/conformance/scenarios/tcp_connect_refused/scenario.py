# create_connection to a closed port fails with ConnectionRefusedError.
from conformance import *

Client = protocol("Client", connection_made = lambda self, t: T("connection_made"))

def main(argv):
    loop.set_exception_handler(on_exception)
    f = loop.create_connection(Client, "127.0.0.1", int(argv[2]))
    f.add_done_callback(lambda f: T("done", f.exception()))

run(main)
