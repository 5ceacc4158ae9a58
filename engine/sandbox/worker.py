"""One script worker: a process of its own that runs scripts and expressions sent to it.

The server's threads cannot stop a single C call (`a // b` on million-digit numbers,
`l.extend(l)`), so the scripts that an AST check cannot prove cheap run here instead
(engine/sandbox/pool.py sends them). Address space is capped with RLIMIT_AS, CPU time per
job with RLIMIT_CPU, and the parent kills the process when a job outruns its wall clock.
Jobs and answers are JSON text (engine/sandbox/wire.py), never pickle.

Helpers (engine.commands.links' `start_cases`, SpiffArena's `get_current_user`, `time`...)
need the case, the database or the engine's clock, which a worker has not: here each is a
stub that sends the call to the server as a frame and waits for its answer (`_stub`); the
server runs the real helper with the real task (engine/sandbox/pool.py) and answers in JSON.
"""
import json
import os
import resource
import sys
import types
from datetime import datetime

from engine.sandbox import wire
from engine.sandbox.policy import SandboxError, ScriptTimeout
from engine.sandbox.scripts import Namespace, SandboxEnvironment, script_line

#: Extra seconds of CPU a job may use beyond its wall-clock limit before the kernel stops it.
CPU_GRACE = 2


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def limit_memory(memory_limit: int) -> None:
    """Cap the address space at what the worker has now plus `memory_limit` bytes."""
    try:
        cap = _address_space() + memory_limit
    except OSError:  # no /proc: a fixed cap
        cap = 1024 * 2**20 + memory_limit
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _limit_cpu(time_limit: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = int(used + time_limit) + CPU_GRACE
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard if hard == resource.RLIM_INFINITY
                                                else max(soft, hard)))


class HelperFailed(Exception):
    """A helper the server ran for this script raised; `kind` is its exception's name."""


_RAISED = {kind.__name__: kind for kind in (ValueError, TypeError, KeyError, LookupError,
                                            IndexError, ZeroDivisionError, AttributeError)}


def _stub(name: str, incoming, outgoing):
    """A helper seen from the worker: the call goes to the server as a frame, the server
    runs the real helper with the real task, and its answer (JSON) is the stub's result."""
    def call(*args, **kwargs):
        try:
            frame = wire.dumps({"call": name, "args": list(args), "kwargs": kwargs})
        except wire.WireError as err:
            raise ValueError(f"{name}(): its arguments hold {err}") from None
        wire.write_frame(outgoing, frame.encode())
        reply = wire.loads(wire.read_frame(incoming).decode())
        if "error" in reply:
            raise _RAISED.get(reply["error"], HelperFailed)(reply["message"])
        return reply["result"]
    call.__name__ = name
    return call


def helper_stubs(layout: dict, incoming, outgoing) -> dict:
    """`layout`: {"name": None} for a function, {"name": {"attr": None, ...}} for a
    module-like namespace of functions (SpiffArena's `time`, `uuid`)."""
    stubs = {}
    for name, members in layout.items():
        if members is None:
            stubs[name] = _stub(name, incoming, outgoing)
        else:
            stubs[name] = Namespace(**{
                attribute: _stub(f"{name}.{attribute}", incoming, outgoing) for attribute in members})
    return stubs


def run_job(job: dict, incoming, outgoing) -> dict:
    """Run one job and return the answer (a dict ready for JSON)."""
    now = datetime.fromisoformat(job["now"])
    env = SandboxEnvironment(helper_stubs(job["helpers"], incoming, outgoing), {},
                             job["time_limit"], lambda: now, job["memory_limit"], job["print_limit"])
    context = wire.loads(job["data"])
    external = wire.loads(job["external"]) if job.get("external") else None
    if job["mode"] == "eval":
        return {"result": env.evaluate(job["source"], context, external)}
    env.execute(job["source"], context, external)
    return {"data": context}


def _failure(err) -> dict:
    if isinstance(err, MemoryError):
        return {"error": "memory", "message": "", "line": script_line(err)}
    kind = "timeout" if isinstance(err, ScriptTimeout) else (
        "sandbox" if isinstance(err, SandboxError) else type(err).__name__)
    line = getattr(err, "line", None) if isinstance(err, SandboxError) else None
    return {"error": kind, "message": str(err), "line": line or script_line(err)}


def serve(incoming, outgoing, memory_limit: int) -> None:
    """The worker's loop: receive a job, answer it, until the pipe closes."""
    limit_memory(memory_limit)
    wire.write_frame(outgoing, b'"ready"')
    while True:
        try:
            job = json.loads(wire.read_frame(incoming))
        except (EOFError, OSError, ValueError):
            return
        retire = False
        try:
            _limit_cpu(job["time_limit"])
            answer = {"ok": wire.dumps(run_job(job, incoming, outgoing))}
        except wire.WireError as err:
            answer = {"error": "wire", "message": str(err), "line": None}
        except MemoryError as err:
            answer, retire = _failure(err), True
        except (EOFError, OSError):  # the server went away mid-call
            return
        except Exception as err:  # noqa: BLE001 - every failure goes back as an answer
            answer = _failure(err)
        try:
            wire.write_frame(outgoing, json.dumps(answer).encode())
        except (MemoryError, OSError):
            return
        if retire:  # after a MemoryError the heap may be fragmented: start afresh
            return


def main(argv=None) -> None:
    """`python -m engine.sandbox.worker MEMORY_BYTES`: jobs come on stdin, answers (and
    helper calls) go on stdout; nothing else may write there."""
    args = list(sys.argv[1:] if argv is None else argv)
    memory_limit = int(args[0])
    incoming, outgoing = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.stdout = sys.stderr
    serve(incoming, outgoing, memory_limit)


if __name__ == "__main__":
    main()
