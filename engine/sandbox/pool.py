"""The pool of script workers (engine/sandbox/worker.py), seen from the server.

Workers are plain `python -c` processes running engine/sandbox/worker.py (nothing of the server's
state is inherited; a helper a script calls is run here, `run(job, on_call)`); they start
on first use and are shared by every ScriptEngine of the
process with the same size and memory limit. A job holds one worker; a job that
outruns its wall clock (or makes the kernel stop its worker) gets the worker killed and
replaced, and its caller a clean ScriptTimeout or SandboxError: the command that ran the
script rolls back like after any script error. The thread waiting on a worker holds no
lock and no GIL, so the server serves everyone else meanwhile.
"""
import atexit
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time

from engine.sandbox import wire
from engine.sandbox.policy import SandboxError, ScriptTimeout

log = logging.getLogger(__name__)

#: Seconds a worker gets beyond a job's time limit for answering, and for starting.
GRACE = 1.0
START_TIMEOUT = 60.0
#: The largest frame read from a worker (an answer, or a helper call's arguments).
MAX_FRAME = 16 * 2**20
_BUILTIN_ERRORS = {kind.__name__: kind for kind in (
    NameError, KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError,
    ArithmeticError, OverflowError, LookupError, RuntimeError, RecursionError, AssertionError)}


#: The worker imports the sandbox only: `engine` stands as a bare package, so its
#: `__init__` (the whole Engine) is not imported (a start in 0.2 s instead of 1.5 s).
_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BOOT = ("import sys, types; package = types.ModuleType('engine'); "
         "package.__path__ = [sys.argv.pop(1)]; sys.modules['engine'] = package; "
         "from engine.sandbox.worker import main; main()")


class _Worker:
    """One worker process, talking length-prefixed JSON frames over its stdin and stdout."""

    def __init__(self, memory_limit):
        argv = [sys.executable, "-c", _BOOT, _ENGINE_DIR, str(memory_limit)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env=env, close_fds=True)
        self.ready = False

    def wait_ready(self) -> None:
        """The first time: until the worker has imported the sandbox (about a second)."""
        if not self.ready:
            if self.receive(START_TIMEOUT) != b'"ready"':
                raise EOFError
            self.ready = True

    def send(self, payload: bytes) -> None:
        wire.write_frame(self.process.stdin, payload)

    def receive(self, timeout: float) -> bytes | None:
        """The answer, or None if none came within `timeout` seconds."""
        stream, deadline = self.process.stdout, time.monotonic() + timeout
        chunks, needed, header = [], 4, True
        while needed:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stream], [], [], left)[0]:
                return None
            chunk = os.read(stream.fileno(), needed)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            needed -= len(chunk)
            if not needed and header:
                header, needed, chunks = False, int.from_bytes(b"".join(chunks), "big"), []
                if needed > MAX_FRAME:
                    raise EOFError  # a worker does not send this much: treat it as dead
        return b"".join(chunks)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool:
    """`size` workers at most; `run(job)` blocks its caller until the answer or the limit."""

    def __init__(self, size: int, memory_limit: int):
        self.size, self.memory_limit = max(1, size), memory_limit
        self.idle: queue.SimpleQueue = queue.SimpleQueue()
        self.started = 0
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def _acquire(self) -> _Worker:
        with self.lock:
            if self.pid != os.getpid():  # forked: the parent's workers are not ours
                self.idle, self.started, self.pid = queue.SimpleQueue(), 0, os.getpid()
            try:
                return self.idle.get_nowait()
            except queue.Empty:
                pass
            if self.started < self.size:
                self.started += 1
                try:
                    return _Worker(self.memory_limit)
                except BaseException:
                    self.started -= 1
                    raise
        return self.idle.get()

    def _retire(self, worker: _Worker) -> None:
        """Kill `worker` and start its replacement at once, so it is ready when needed."""
        worker.kill()
        try:
            self.idle.put(_Worker(self.memory_limit))
        except OSError:
            with self.lock:
                self.started -= 1

    def run(self, job: dict, on_call) -> dict:
        """Send `job` to a worker; the answer's payload decoded, or the failure raised.
        `on_call(name, args, kwargs)` runs a helper the script calls (time spent in it
        does not count against the job's wall clock here)."""
        payload = json.dumps(job).encode()
        worker = self._acquire()
        try:
            worker.wait_ready()
            deadline = time.monotonic() + job["time_limit"] + GRACE
            worker.send(payload)
            while True:
                raw = worker.receive(deadline - time.monotonic())
                if raw is None:
                    self._retire(worker)
                    raise ScriptTimeout(f"Script exceeded its time limit of {job['time_limit']} s")
                answer = json.loads(raw)
                if not isinstance(answer, dict) or "call" not in answer:
                    break
                began = time.monotonic()
                worker.send(_call(answer, on_call).encode())
                deadline += time.monotonic() - began
        except (EOFError, OSError, ValueError, TypeError):
            self._retire(worker)
            raise SandboxError("Script refused: it was stopped for using more memory or "
                               "processor time than allowed") from None
        if answer.get("error") == "memory" or not worker.alive():
            self._retire(worker)
        else:
            self.idle.put(worker)
        if "ok" in answer:
            return wire.loads(answer["ok"])
        raise _error(answer, self.memory_limit)

    def close(self) -> None:
        with self.lock:
            while True:
                try:
                    self.idle.get_nowait().kill()
                except queue.Empty:
                    break
            self.started = 0


def _call(frame: dict, on_call) -> str:
    """Run the helper call a worker sent; its result (or its error) as a JSON frame."""
    try:
        call = wire.loads(json.dumps(frame))
        result = on_call(str(call["call"]), list(call.get("args") or []), dict(call.get("kwargs") or {}))
        return wire.dumps({"result": result})
    except wire.WireError as err:
        return wire.dumps({"error": "ValueError", "message": f"the result holds {err}"})
    except Exception as err:  # noqa: BLE001 - the script sees the helper's error
        return wire.dumps({"error": type(err).__name__, "message": str(err)})


def _error(answer: dict, memory_limit: int) -> Exception:
    kind, message, line = answer["error"], answer.get("message", ""), answer.get("line")
    if kind == "memory":
        err = SandboxError(f"Script refused: memory limit of {memory_limit // 2**20} MB exceeded", line)
    elif kind == "timeout":
        err = ScriptTimeout(message, line)
    elif kind == "sandbox":
        err = SandboxError(message, line)
    elif kind == "wire":
        err = SandboxError(f"Script refused: its result holds {message}", line)
    else:
        err = _BUILTIN_ERRORS.get(kind, RuntimeError)(message)
        if kind not in _BUILTIN_ERRORS:
            err = SandboxError(f"{kind}: {message}", line)
    err.script_line = line
    return err


_POOLS: dict = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(size: int, memory_limit: int) -> WorkerPool:
    """The process's pool for this size and memory limit (Engines in one process share it)."""
    key = (size, memory_limit)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = WorkerPool(size, memory_limit)
        return pool


@atexit.register
def _close_all() -> None:
    for pool in list(_POOLS.values()):
        pool.close()
