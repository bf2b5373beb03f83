# A child that writes to stdout and stderr and exits 3: the pipe and exit
# callbacks (which pipe closes first is not compared), the return code, and kill/terminate/send_signal after exit.
from conformance import *
import signal, subprocess

def made(self, transport):
    T("connection_made", transport.get_returncode())
    self.transport = transport
    self.lost = []
    self.out = {1: b"", 2: b""}

def pipe_data(self, fd, data):
    self.out[fd] += data

def pipe_lost(self, fd, exc):
    self.lost.append((fd, fmt(exc), self.out.get(fd)))

def exited(self):
    T("process_exited", self.transport.get_returncode())
    self.transport.kill()
    self.transport.terminate()
    self.transport.send_signal(signal.SIGTERM)
    T("signals_after_exit_ok")

def lost(self, exc):
    # Which pipe closes first, and whether before the exit, is the OS's.
    T("pipes_lost", sorted(self.lost))
    T("connection_lost", exc)
    self.transport.close()

Child = protocol("Child", connection_made = made, pipe_data_received = pipe_data,
                 pipe_connection_lost = pipe_lost, process_exited = exited,
                 connection_lost = lost)

CODE = "import sys; sys.stdout.write('out'); sys.stderr.write('err'); sys.exit(3)"

def main(argv):
    loop.set_exception_handler(on_exception)
    tr, pr = loop.run_until_complete(loop.subprocess_exec(Child, "python3", "-c", CODE))
    T("pipes", tr.get_pipe_transport(0) != None, tr.get_pipe_transport(1) != None)

run(main)
