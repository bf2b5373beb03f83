# Children ended by signals: terminate() (SIGTERM), kill() (SIGKILL) and
# send_signal(SIGINT) give returncode minus the signal's number; a child
# that traps SIGTERM and exits 7 gives 7.
from conformance import *
import subprocess, signal

state = {"left": 4, "codes": []}

def made(self, transport):
    self.transport = transport

def data(self, fd, data):
    if data[:5] == b"ready" and not self.sent:
        self.sent = True
        if self.how == "terminate":
            self.transport.terminate()
        elif self.how == "kill":
            self.transport.kill()
        else:
            self.transport.send_signal(signal.SIGINT)

def exited(self):
    # Which child ends first is the OS's: the codes are traced sorted.
    state["codes"].append((self.name, self.transport.get_returncode()))

def lost(self, exc):
    self.transport.close()
    state["left"] -= 1
    if state["left"] == 0:
        T("exit codes", sorted(state["codes"]))

Child = protocol("Child", connection_made = made, pipe_data_received = data,
                 process_exited = exited, connection_lost = lost)

def child(name, how):
    return Child(name = name, how = how, sent = False)

CODE = "import signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_DFL); print('ready', flush=True); time.sleep(30)"
TRAP = "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(7)); print('ready', flush=True); time.sleep(30)"

def main(argv):
    loop.set_exception_handler(on_exception)
    for name, how, code in (("term", "terminate", CODE), ("kill", "kill", CODE), ("int", "send_signal", CODE), ("trap", "terminate", TRAP)):
        loop.run_until_complete(loop.subprocess_exec(lambda: child(name, how), "python3", "-c", code,
                                                     stdin = subprocess.DEVNULL, stderr = subprocess.DEVNULL))

run(main)
