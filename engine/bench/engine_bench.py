"""`liandong bench engine`: the engine against bare SpiffWorkflow on the same 5-step model.

The baseline is what any host of SpiffWorkflow must at least do: load the workflow from
JSON before each step and save it after (SpiffWorkflow's own serializer, spec included).
The engine does the same through its public commands, plus storage, task rows, timers and
the audit trail, each command in its own transaction.

The machines this runs on are shared and noisy, so the two are timed in alternating
rounds, and the ratio printed last is the median of the rounds' ratios: a slow spell
then weighs on both sides of one round, not on one side of the whole comparison.
"""
import statistics
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .. import Engine, Settings, identity
from ..bpmn.parsing import parse_model
from ..serialization import full_serializer
from ..storage.schema import upgrade
from .scratch import scratch_database

MODEL = Path(__file__).with_name("model.bpmn")
ROUNDS = 5


def bare_spiff(n: int, model=None) -> float:
    """Seconds for `n` instances of bare SpiffWorkflow with a JSON round trip per step."""
    model = model or parse_model({MODEL.name: MODEL.read_bytes()})
    serializer = full_serializer()
    began = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
        for data in ({"amount": 10}, {"ok": True}, {"ok": True}):
            workflow = serializer.deserialize_json(state)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
        assert serializer.deserialize_json(state).is_completed()
    return time.perf_counter() - began


def bench_engine(url: str) -> Engine:
    """An engine on `url` with the benchmark's organisation, two users and the model."""
    engine = Engine(Settings(database_url=url))
    upgrade(engine.db)
    with engine.session() as s:
        identity.create_organisation(s, "bench", "Benchmark")
        identity.create_user(s, "bench_a", memberships=[("bench", "bench_a")])
        identity.create_user(s, "bench_b", memberships=[("bench", "bench_b")])
    engine.deploy({MODEL.name: MODEL.read_bytes()}, key="bench_review")
    return engine


def engine_run(engine: Engine, n: int) -> float:
    """Seconds for `n` instances through the engine's commands, called with user names as
    the command line and the API's clients call them."""
    began = time.perf_counter()
    for _ in range(n):
        started = engine.start_case("bench_review", "bench_a", {"title": "bench"})
        done = engine.complete_task(started.tasks[0], "bench_a", {"amount": 10})
        engine.complete_task(done.tasks[0], "bench_b", {"ok": True})
        last = engine.complete_task(done.tasks[1], "bench_b", {"ok": True})
        assert last.status == "completed", last
    return time.perf_counter() - began


def run_engine_bench(n: int, db_url: str | None, echo, rounds: int = ROUNDS) -> float:
    echo(f"model: {MODEL.name} (start, user task in lane A, exclusive gateway, "
         f"parallel split into two lane-B user tasks, join, end); n={n} in {rounds} rounds")
    model = parse_model({MODEL.name: MODEL.read_bytes()})
    per_round = max(1, n // rounds)
    with scratch_database(db_url) as url:
        echo(f"database: {url.split('?')[0]}")
        engine = bench_engine(url)
        try:
            bare_spiff(max(5, per_round // 4), model)  # warm both paths before timing
            engine_run(engine, max(5, per_round // 4))
            bare_times, engine_times = [], []
            for number in range(1, rounds + 1):
                bare_times.append(bare_spiff(per_round, model))
                engine_times.append(engine_run(engine, per_round))
                echo(f"round {number}: bare {per_round / bare_times[-1]:.1f}/s, "
                     f"engine {per_round / engine_times[-1]:.1f}/s, "
                     f"ratio {bare_times[-1] / engine_times[-1]:.2f}")
        finally:
            engine.close()
    total = per_round * rounds
    echo(f"bare_spiffworkflow_serialized_instances_per_s={total / sum(bare_times):.1f}")
    echo(f"engine_instances_per_s={total / sum(engine_times):.1f}")
    ratio = statistics.median(b / e for b, e in zip(bare_times, engine_times))
    echo(f"ratio_vs_bare_serialized={ratio:.2f}")
    return ratio
