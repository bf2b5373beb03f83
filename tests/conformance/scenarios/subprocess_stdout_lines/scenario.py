# A child's stdout read in pieces; stdin written in pieces with writelines
# and closed through its pipe transport; stderr to stdout (STDOUT).
from conformance import *
import subprocess, signal

def made(self, transport):
    self.transport = transport
    self.out = b""
    stdin = transport.get_pipe_transport(0)
    stdin.writelines([b"a\n", b"b\n"])
    stdin.write(b"c\n")
    stdin.close()
    T("stdin closing", stdin.is_closing(), transport.get_pipe_transport(2))

def data(self, fd, data):
    self.out += data

def pipe_lost(self, fd, exc):
    T("pipe_connection_lost", fd, exc)

def lost(self, exc):
    T("out", self.out)
    T("connection_lost", exc, self.transport.get_returncode())
    self.transport.close()

Child = protocol("Child", connection_made = made, pipe_data_received = data,
                 pipe_connection_lost = pipe_lost, connection_lost = lost,
                 process_exited = lambda self: None)

CODE = "import sys\nfor l in sys.stdin: print(l.strip().upper(), flush=True)\nsys.stderr.write('E')"

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_exec(Child, "python3", "-c", CODE, stderr = subprocess.STDOUT))

run(main)
