# subprocess_shell: the shell's output and exit status.
from conformance import *
import subprocess

def made(self, transport):
    self.transport = transport
    self.out = b""

def pipe_data(self, fd, data):
    self.out += data

def exited(self):
    T("process_exited", self.transport.get_returncode())

def lost(self, exc):
    T("output", self.out)
    T("connection_lost", exc)
    self.transport.close()

Sh = protocol("Sh", connection_made = made, pipe_data_received = pipe_data,
              process_exited = exited, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_shell(Sh, "echo shell; exit 7", stdin = subprocess.DEVNULL,
                                                  stderr = subprocess.DEVNULL))

run(main)
