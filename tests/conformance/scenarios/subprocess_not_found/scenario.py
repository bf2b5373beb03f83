# subprocess_exec of a program that does not exist fails with
# FileNotFoundError (errno 2); no callback runs.
from conformance import *

Child = protocol("Child", connection_made = lambda self, t: T("connection_made"),
                 process_exited = lambda self: T("process_exited"))

def main(argv):
    loop.set_exception_handler(on_exception)
    try:
        loop.run_until_complete(loop.subprocess_exec(Child, argv[0] + "/no-such-program"))
    except OSError as err:
        T("failed", err)

run(main)
