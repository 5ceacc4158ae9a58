"""`liandong bench scripts`: what a script or condition costs in a worker process against the
server's own process (engine/sandbox/pool.py, bounded.py), and what a runaway script costs
the pool (its worker killed at the time limit and a new one started)."""
import time

from engine.config import Settings
from engine.sandbox.isolated import script_engine

DATA = {"title": "联动活动", "budget": 5000, "cities": ["hz", "nb", "wz"], "approved": True,
        "dates": {"start": "2016-05-01", "end": "2016-05-03"}, "amount": 10}
SCRIPT = "total = budget * 2\nlabel = title + '：' + str(len(cities))"
CONDITION = "amount <= 100000 and approved"
UNBOUNDED = "len([c for c in cities]) > 0"  # a comprehension: not provably cheap, to a worker
#: Minutes of big-integer division in one C call: only killing the worker stops it.
ONE_C_CALL = "a = int.from_bytes(b'\\xff' * 400000, 'big')\nc = a // ((a >> 1600000) + 1)"


def _per_call_ms(run, n: int) -> float:
    run()  # warm: the worker starts, the source compiles
    began = time.perf_counter()
    for _ in range(n):
        run()
    return (time.perf_counter() - began) / n * 1000


def run_scripts_bench(n: int, echo) -> dict:
    pooled = script_engine(Settings(script_workers=1), None, {}).environment
    local = script_engine(Settings(script_workers=0), None, {}).environment
    figures = {
        "script_in_process_ms": _per_call_ms(lambda: local.execute(SCRIPT, dict(DATA)), n),
        "script_in_worker_ms": _per_call_ms(lambda: pooled.execute(SCRIPT, dict(DATA)), n),
        "condition_in_process_ms": _per_call_ms(lambda: pooled.evaluate(CONDITION, DATA), n),
        "condition_in_worker_ms": _per_call_ms(lambda: pooled.evaluate(UNBOUNDED, DATA), n),
    }
    runaway = Settings(script_workers=1, script_time_limit=0.5)
    stuck = script_engine(runaway, None, {}).environment
    stuck.execute("x = 1", {})
    began = time.perf_counter()
    try:
        stuck.execute(ONE_C_CALL, {})
    except Exception:  # noqa: BLE001 - the timeout is the point
        pass
    figures["one_c_call_killed_after_s"] = time.perf_counter() - began
    began = time.perf_counter()
    stuck.execute("x = 1", {})
    figures["next_script_after_kill_s"] = time.perf_counter() - began
    echo(f"n={n}; data of {len(DATA)} values; script: {SCRIPT!r}; condition: {CONDITION!r}")
    for name, value in figures.items():
        echo(f"{name}={value:.3f}")
    return figures
