# cat through stdin and stdout pipes: write, write_eof, the echo, exit 0.
from conformance import *
import signal, subprocess

def made(self, transport):
    self.transport = transport
    self.lost = []
    self.got = b""
    stdin = transport.get_pipe_transport(0)
    stdin.write(b"meow\n")
    stdin.writelines([b"purr", b"\n"])
    T("can_write_eof", stdin.can_write_eof())
    stdin.write_eof()

def pipe_data(self, fd, data):
    self.got += data

def pipe_lost(self, fd, exc):
    self.lost.append((fd, fmt(exc)))

def exited(self):
    T("process_exited", self.transport.get_returncode())

def lost(self, exc):
    T("got", self.got)
    T("pipes_lost", sorted(self.lost))
    T("connection_lost", exc)
    self.transport.close()

Cat = protocol("Cat", connection_made = made, pipe_data_received = pipe_data,
               pipe_connection_lost = pipe_lost, process_exited = exited, connection_lost = lost)

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.run_until_complete(loop.subprocess_exec(Cat, "cat", stderr = subprocess.DEVNULL))

run(main)
