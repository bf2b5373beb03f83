"""conformance.py: the trace helpers and loop shims every Python scenario
imports. Their twin is conformance.star; both print the same canonical form of
a value, so that the two traces can be compared line by line.

`loop` is a fresh asyncio event loop wrapped so that the calls that are
coroutines in asyncio return futures, as starnet's do (sleep, wait_for,
gather and the create_* calls all work with run_until_complete either way).
`protocol(name, **methods)` makes a protocol class as starnet's does.
`run(main)` calls main(argv) and then runs the loop until no work is left,
as starnet does.
"""
__all__ = ["T", "fmt", "msg", "peer", "fail", "error", "on_exception", "protocol", "loop", "run", "ScriptError", "make_pipe"]

import asyncio
import logging
import os
import sys

# The wrapper that starts this interpreter sets PYTHONHOME for it; the
# scenario's children (system python3 peers) must not inherit it.
os.environ.pop("PYTHONHOME", None)

_ESC = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _quote(codes):
    out = []
    for c in codes:
        ch = chr(c) if c < 128 else ""
        if ch in _ESC:
            out.append(_ESC[ch])
        elif ch and 32 <= c < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % c)
    return "'" + "".join(out) + "'"


class ScriptError(Exception):
    """What starnet calls a failing Starlark callback's error."""


def fail(message):
    """Starlark's fail(): raises ScriptError."""
    raise ScriptError(message)


def error(message):
    """An error to give set_exception (a string in Starlark)."""
    return Exception(message)


def fmt(v):
    """The canonical text of v (conformance.star's fmt prints the same)."""
    if v is None or isinstance(v, (bool, int)):
        return str(v)
    if isinstance(v, str):
        return _quote([ord(c) for c in v])
    if isinstance(v, (bytes, bytearray, memoryview)):
        v = bytes(v)
        if len(v) > 64:
            return "<%d bytes>" % len(v)
        return "b" + _quote(list(v))
    if isinstance(v, tuple):
        if len(v) == 1:
            return "(" + fmt(v[0]) + ",)"
        return "(" + ", ".join(fmt(x) for x in v) + ")"
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(fmt(k) + ": " + fmt(x) for k, x in v.items()) + "}"
    if isinstance(v, BaseException):
        kind = type(v).__name__
        errno = getattr(v, "errno", None)
        if errno is not None:
            return "%s(errno=%d)" % (kind, errno)
        return kind
    if isinstance(v, float):
        return "%.3f" % v
    if isinstance(v, asyncio.BaseTransport):
        return "<transport>"
    if isinstance(v, asyncio.Future):
        return "<future>"
    return "<" + type(v).__name__ + ">"


def msg(e):
    """The message of exception e (exc.message in Starlark)."""
    return str(e)


def T(name, *args):
    """Prints one trace line: name(arg, ...)."""
    print(name + "(" + ", ".join(fmt(a) for a in args) + ")", flush=True)


def peer(line):
    """Sends line to the scenario's peer (the driver forwards it)."""
    print("@peer " + line, flush=True)


def on_exception(loop, ctx):
    """An exception handler that traces the call: the message, and the
    exception when there is one."""
    if ctx.get("exception") is not None:
        T("exception_handler", ctx["message"], ctx["exception"])
    else:
        T("exception_handler", ctx["message"])


class _LogToTrace(logging.Handler):
    """asyncio's logger warnings are, in starnet, exception handler calls
    without an exception: traced the same way."""

    def emit(self, record):
        if record.levelno >= logging.WARNING and not record.exc_info:
            T("exception_handler", record.getMessage())


logging.getLogger("asyncio").addHandler(_LogToTrace())
logging.getLogger("asyncio").propagate = False


def make_pipe():
    """A pipe: (read end, write end) as unbuffered files, as
    connect_read_pipe and connect_write_pipe take them."""
    r, w = os.pipe()
    return os.fdopen(r, "rb", 0), os.fdopen(w, "wb", 0)


def _base(methods):
    if "get_buffer" in methods and "data_received" not in methods:
        return asyncio.BufferedProtocol
    if "datagram_received" in methods or "error_received" in methods:
        return asyncio.DatagramProtocol
    if {"pipe_data_received", "pipe_connection_lost", "process_exited"} & set(methods):
        return asyncio.SubprocessProtocol
    return asyncio.Protocol


def protocol(name, **methods):
    """starnet's protocol(): a class whose instances take attributes as
    keyword arguments, or init(self, *args, **kwargs) when it has one."""
    init = methods.pop("init", None)

    def __init__(self, *args, **kwargs):
        if init is not None:
            init(self, *args, **kwargs)
        else:
            for k, v in kwargs.items():
                setattr(self, k, v)

    methods["__init__"] = __init__
    return type(name, (_base(methods),), methods)


class _Loop:
    """The asyncio loop, with starnet's future-returning shapes."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if not callable(attr) or name in ("run_until_complete", "create_future", "time"):
            return attr

        def call(*args, **kwargs):
            r = attr(*args, **kwargs)
            if asyncio.iscoroutine(r):
                return asyncio.ensure_future(r, loop=self._real)
            return r
        return call

    def sleep(self, delay, result=None):
        return asyncio.ensure_future(asyncio.sleep(delay, result), loop=self._real)

    def wait_for(self, fut, timeout):
        return asyncio.ensure_future(asyncio.wait_for(fut, timeout), loop=self._real)

    def gather(self, *futs, return_exceptions=False):
        return asyncio.gather(*futs, return_exceptions=return_exceptions)

    def current_task(self):
        return asyncio.current_task(self._real)

    def wait(self, fs, timeout=None, return_when=asyncio.ALL_COMPLETED):
        return asyncio.ensure_future(asyncio.wait(fs, timeout=timeout, return_when=return_when), loop=self._real)

    ALL_COMPLETED = asyncio.ALL_COMPLETED
    FIRST_COMPLETED = asyncio.FIRST_COMPLETED
    FIRST_EXCEPTION = asyncio.FIRST_EXCEPTION

    def Lock(self):
        return asyncio.Lock()

    def Event(self):
        return asyncio.Event()

    def Semaphore(self, value=1):
        return asyncio.Semaphore(value)

    def BoundedSemaphore(self, value=1):
        return asyncio.BoundedSemaphore(value)

    def Queue(self, maxsize=0):
        return asyncio.Queue(maxsize)

    def open_connection(self, *args, **kwargs):
        return asyncio.ensure_future(asyncio.open_connection(*args, **kwargs), loop=self._real)

    def open_unix_connection(self, *args, **kwargs):
        return asyncio.ensure_future(asyncio.open_unix_connection(*args, **kwargs), loop=self._real)

    def start_server(self, *args, **kwargs):
        return asyncio.ensure_future(asyncio.start_server(*args, **kwargs), loop=self._real)

    def start_unix_server(self, *args, **kwargs):
        return asyncio.ensure_future(asyncio.start_unix_server(*args, **kwargs), loop=self._real)

    def stop(self):
        self._real.stop()
        _state["stopped"] = True


_state = {"stopped": False}
_real = asyncio.new_event_loop()
asyncio.set_event_loop(_real)
loop = _Loop(_real)


def _has_work(real):
    if _state["stopped"]:
        return False
    # A cancelled timer is not work (asyncio drops it lazily; the selector
    # would then wait for no timer at all).
    if real._ready or any(not h._cancelled for h in real._scheduled):
        return True
    # The self-pipe is always registered; anything else is a transport,
    # a server or a child watcher.
    return len(real._selector.get_map()) > 1


def run(main):
    """Calls main(argv), then runs the loop until no work is left."""
    main(sys.argv[1:])
    real = _real
    # run_forever's own set-up and clean-up around its iterations, so that
    # tasks see a running loop; the loop ends when no work is left.
    real._run_forever_setup()
    try:
        while _has_work(real):
            real._run_once()
    finally:
        real._run_forever_cleanup()
    sys.stdout.flush()
