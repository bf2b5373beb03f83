# Callbacks scheduled from callbacks: call_soon runs after what is already
# ready; a timer cancelled by an earlier one never runs; sleep(0) yields once.
from conformance import *

def first():
    T("first")
    loop.call_soon(T, "soon_from_first")
    state["victim"].cancel()
    T("victim_cancelled", state["victim"].cancelled())

state = {}

def main(argv):
    loop.set_exception_handler(on_exception)
    loop.call_later(0.01, first)
    state["victim"] = loop.call_later(0.02, T, "victim")
    loop.call_later(0.03, T, "third")
    loop.call_soon(T, "soon_a")
    s = loop.sleep(0)
    s.add_done_callback(lambda f: T("sleep0_done", f.result()))
    loop.call_soon(T, "soon_b")
    for i in range(5):
        loop.call_soon(T, "soon_loop", i)

run(main)
