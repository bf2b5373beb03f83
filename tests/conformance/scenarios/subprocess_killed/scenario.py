# A child killed by a signal: returncode is minus the signal's number.
from conformance import *
import signal, subprocess

def made(self, transport):
    self.transport = transport
    self.lost = []
    transport.send_signal(signal.SIGTERM)

def exited(self):
    T("process_exited", self.transport.get_returncode())

def lost(self, exc):
    T("connection_lost", exc)
    self.transport.close()

Child = protocol("Child", connection_made = made, process_exited = exited, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_exec(Child, "sleep", "30", stdin = subprocess.DEVNULL,
                                                 stdout = subprocess.DEVNULL, stderr = subprocess.DEVNULL))

run(main)
