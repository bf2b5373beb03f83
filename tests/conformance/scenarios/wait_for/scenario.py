# wait_for: a result in time, and a timeout that cancels the inner future.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    slow = loop.create_future()
    w = loop.wait_for(slow, 0.01)
    w.add_done_callback(lambda w: T("timeout_done", w.exception(), slow.cancelled()))
    fast = loop.create_future()
    v = loop.wait_for(fast, 5)
    v.add_done_callback(lambda v: T("fast_done", v.result()))
    loop.call_soon(fast.set_result, "quick")
    s = loop.sleep(0.02, "slept")
    s.add_done_callback(lambda s: T("sleep_done", s.result()))
    T("result", loop.run_until_complete(loop.wait_for(loop.sleep(0, "x"), 1)))

run(main)
