# After the transport is closed, kill(), terminate() and send_signal() fail
# with ProcessLookupError; get_returncode() keeps the code.
from conformance import *
import subprocess, signal

def lost(self, exc):
    T("connection_lost", exc, self.transport.get_returncode())
    self.transport.close()
    for name in ("kill", "terminate", "send_signal"):
        try:
            if name == "send_signal":
                self.transport.send_signal(signal.SIGTERM)
            else:
                getattr(self.transport, name)()
            err = None
        except ProcessLookupError as e:
            err = e
        T(name, err)

def made(self, transport):
    self.transport = transport

Child = protocol("Child", connection_made = made, connection_lost = lost,
                 process_exited = lambda self: T("process_exited"))

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_exec(Child, "true", stdin = subprocess.DEVNULL,
                                                 stdout = subprocess.DEVNULL, stderr = subprocess.DEVNULL))

run(main)
