# A Future's misuse: result() while pending, set_result twice, result() of
# a cancelled one; the errors' kinds.
from conformance import *

def catch(fn, *args):
    try:
        return fn(*args), None
    except BaseException as e:
        return None, e

def main(argv):
    loop.set_exception_handler(on_exception)
    f = loop.create_future()
    _, err = catch(f.result)
    T("pending result", err, msg(err))
    _, err = catch(f.exception)
    T("pending exception", err)
    f.set_result(1)
    _, err = catch(f.set_result, 2)
    T("set twice", err, f.result())
    _, err = catch(f.set_exception, ValueError())
    T("set_exception after", err)
    T("cancel done", f.cancel())
    c = loop.create_future()
    c.cancel()
    _, err = catch(c.result)
    T("cancelled result", err)
    _, err = catch(c.exception)
    T("cancelled exception", err)
    _, err = catch(c.set_result, 1)
    T("cancelled set_result", err)

run(main)
