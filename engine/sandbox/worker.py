"""One script worker: a process of its own that runs scripts and expressions sent to it.

The server's threads cannot stop a single C call (`a // b` on million-digit numbers,
`l.extend(l)`), so the scripts that an AST check cannot prove cheap run here instead
(engine/sandbox/pool.py sends them). Address space is capped with RLIMIT_AS, CPU time per
job with RLIMIT_CPU, and the parent kills the process when a job outruns its wall clock.
Jobs and answers are JSON text (engine/sandbox/wire.py), never pickle.

Task helpers (engine.commands.links) act on the case by leaving requests in the top
workflow's data; here they are called with a detached task whose top workflow's data is
a fresh dict, and what they leave there goes back with the answer to be merged into the
real case (`Detached`).
"""
import importlib
import json
import os
import resource
import sys
import types
from datetime import datetime

from engine.sandbox import wire
from engine.sandbox.policy import SandboxError, ScriptTimeout
from engine.sandbox.scripts import SandboxEnvironment, script_line

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


class Detached(types.SimpleNamespace):
    """What a task helper sees of its task inside a worker: the data and a top workflow."""

    def __init__(self, data):
        top = types.SimpleNamespace(data={})
        super().__init__(data=data, workflow=types.SimpleNamespace(top_workflow=top))


def run_job(job: dict, helpers: dict, task_helpers: dict) -> dict:
    """Run one job and return the answer (a dict ready for JSON)."""
    now = datetime.fromisoformat(job["now"])
    env = SandboxEnvironment(helpers, task_helpers, job["time_limit"], lambda: now,
                             job["memory_limit"], job["print_limit"])
    context = wire.loads(job["data"])
    external = wire.loads(job["external"]) if job.get("external") else None
    task = Detached(context) if job.get("task") else None
    if job["mode"] == "eval":
        result = env.evaluate(job["source"], context, external, task)
        answer = {"result": result}
    else:
        env.execute(job["source"], context, external, task)
        answer = {"data": context}
    if task is not None and task.workflow.top_workflow.data:
        answer["top"] = task.workflow.top_workflow.data
    return answer


def _failure(err) -> dict:
    if isinstance(err, MemoryError):
        return {"error": "memory", "message": "", "line": script_line(err)}
    kind = "timeout" if isinstance(err, ScriptTimeout) else (
        "sandbox" if isinstance(err, SandboxError) else type(err).__name__)
    line = getattr(err, "line", None) if isinstance(err, SandboxError) else None
    return {"error": kind, "message": str(err), "line": line or script_line(err)}


def load_helpers(references: list[str]) -> dict:
    """Helpers named `name=module:function`, imported here as the server imported them."""
    helpers = {}
    for reference in references:
        name, _, target = reference.partition("=")
        module, _, attribute = target.partition(":")
        helpers[name] = getattr(importlib.import_module(module), attribute)
    return helpers


def serve(incoming, outgoing, helpers: dict, task_helpers: dict, memory_limit: int) -> None:
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
            answer = {"ok": wire.dumps(run_job(job, helpers, task_helpers))}
        except wire.WireError as err:
            answer = {"error": "wire", "message": str(err), "line": None}
        except MemoryError as err:
            answer, retire = _failure(err), True
        except Exception as err:  # noqa: BLE001 - every failure goes back as an answer
            answer = _failure(err)
        try:
            wire.write_frame(outgoing, json.dumps(answer).encode())
        except (MemoryError, OSError):
            return
        if retire:  # after a MemoryError the heap may be fragmented: start afresh
            return


def main(argv=None) -> None:
    """`python -m engine.sandbox.worker MEMORY_BYTES [h=helper ...] -- [t=task_helper ...]`;
    jobs come on stdin, answers go on stdout (nothing else may write there)."""
    args = list(sys.argv[1:] if argv is None else argv)
    memory_limit = int(args.pop(0))
    split = args.index("--") if "--" in args else len(args)
    helpers, task_helpers = load_helpers(args[:split]), load_helpers(args[split + 1:])
    incoming, outgoing = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    sys.stdout = sys.stderr
    serve(incoming, outgoing, helpers, task_helpers, memory_limit)


if __name__ == "__main__":
    main()
