# The child exits without reading while its stdin pipe has data buffered:
# the stdin pipe is lost with BrokenPipeError.
from conformance import *
import signal, subprocess

def made(self, transport):
    self.transport = transport
    self.lost = []
    transport.get_pipe_transport(0).write(b"x" * (4 << 20))

def pipe_lost(self, fd, exc):
    self.lost.append((fd, fmt(exc)))

def exited(self):
    T("process_exited", self.transport.get_returncode())

def lost(self, exc):
    # Which pipe closes first, and whether before the exit, is the OS's.
    T("pipes_lost", sorted(self.lost))
    T("connection_lost", exc)
    self.transport.close()

Child = protocol("Child", connection_made = made, pipe_connection_lost = pipe_lost,
                 process_exited = exited, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_exec(Child, "python3", "-c", "import sys; sys.stdin.read(1)",
                                                 stdout = subprocess.DEVNULL, stderr = subprocess.DEVNULL))

run(main)
