# stdin/stdout DEVNULL: no pipe transport for them; stderr piped; exit 0.
from conformance import *
import subprocess

def made(self, transport):
    T("pipes", transport.get_pipe_transport(0) == None, transport.get_pipe_transport(1) == None,
      transport.get_pipe_transport(2) != None)
    self.transport = transport
    self.err = b""

def pipe_data(self, fd, data):
    self.err += data

def lost(self, exc):
    T("stderr", fd_label(2), self.err)
    T("connection_lost", exc, self.transport.get_returncode())
    self.transport.close()

def fd_label(fd):
    return "fd%d" % fd

Child = protocol("Child", connection_made = made, pipe_data_received = pipe_data,
                 process_exited = lambda self: T("process_exited"), connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_exec(Child, "python3", "-c", "import sys; sys.stderr.write('to stderr')",
                                                 stdin = subprocess.DEVNULL, stdout = subprocess.DEVNULL))

run(main)
