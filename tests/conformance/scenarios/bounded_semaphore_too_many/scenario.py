# BoundedSemaphore: releasing past the initial value fails with ValueError.
from conformance import *

def main(argv):
    loop.set_exception_handler(on_exception)
    sem = loop.BoundedSemaphore(1)
    T("acquire", loop.run_until_complete(sem.acquire()), sem.locked())
    sem.release()
    try:
        sem.release()
    except ValueError as err:
        T("release", err, msg(err))

run(main)
