# create_unix_connection to a path that does not exist fails with FileNotFoundError.
from conformance import *

Client = protocol("Client", connection_made = lambda self, t: T("connection_made"))

def main(argv):
    loop.set_exception_handler(on_exception)
    f = loop.create_unix_connection(Client, argv[0] + "/nobody.sock")
    f.add_done_callback(lambda f: T("done", f.exception()))

run(main)
