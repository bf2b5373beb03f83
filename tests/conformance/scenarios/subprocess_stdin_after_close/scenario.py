# Writes to a closed subprocess stdin pipe are dropped; from the sixth on
# asyncio warns "pipe closed by peer or os.write(pipe, data) raised exception.".
from conformance import *
import subprocess

def made(self, transport):
    self.transport = transport
    stdin = transport.get_pipe_transport(0)
    stdin.write(b"data\n")
    stdin.close()
    for i in range(7):
        T("write", i)
        stdin.write(b"late")

def exited(self):
    T("process_exited", self.transport.get_returncode())

def lost(self, exc):
    T("connection_lost", exc)
    self.transport.close()

Child = protocol("Child", connection_made = made, process_exited = exited, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_exec(Child, "cat", stdout = subprocess.DEVNULL, stderr = subprocess.DEVNULL))

run(main)
