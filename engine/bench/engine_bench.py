"""`liandong bench engine`: the engine against bare SpiffWorkflow on the same 5-step model.

The baseline is what any host of SpiffWorkflow must at least do: load the workflow from
JSON before each step and save it after (SpiffWorkflow's own serializer, spec included).
The engine does the same through its public commands, plus storage, task rows, timers and
the audit trail, each command in its own transaction.
"""
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


def bare_spiff(n: int) -> float:
    """Instances per second for bare SpiffWorkflow with a JSON round trip per step."""
    model = parse_model({MODEL.name: MODEL.read_bytes()})
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
    return n / (time.perf_counter() - began)


def engine_run(n: int, url: str) -> float:
    engine = Engine(Settings(database_url=url))
    upgrade(engine.db)
    with engine.session() as s:
        identity.create_organisation(s, "bench", "Benchmark")
        identity.create_user(s, "bench_a", memberships=[("bench", "bench_a")])
        identity.create_user(s, "bench_b", memberships=[("bench", "bench_b")])
    engine.deploy({MODEL.name: MODEL.read_bytes()}, key="bench_review")
    began = time.perf_counter()
    for _ in range(n):
        started = engine.start_case("bench_review", "bench_a", {"title": "bench"})
        done = engine.complete_task(started.tasks[0], "bench_a", {"amount": 10})
        engine.complete_task(done.tasks[0], "bench_b", {"ok": True})
        last = engine.complete_task(done.tasks[1], "bench_b", {"ok": True})
        assert last.status == "completed", last
    rate = n / (time.perf_counter() - began)
    engine.close()
    return rate


def run_engine_bench(n: int, db_url: str | None, echo) -> float:
    echo(f"model: {MODEL.name} (start, user task in lane A, exclusive gateway, "
         f"parallel split into two lane-B user tasks, join, end); n={n}")
    bare_spiff(max(5, n // 10))  # warm both paths before timing
    with scratch_database(db_url) as url:
        echo(f"database: {url.split('?')[0]}")
        engine_run(max(5, n // 10), url)
    bare = bare_spiff(n)
    with scratch_database(db_url) as url:
        engine_rate = engine_run(n, url)
    echo(f"bare_spiffworkflow_serialized_instances_per_s={bare:.1f}")
    echo(f"engine_instances_per_s={engine_rate:.1f}")
    ratio = engine_rate / bare
    echo(f"ratio_vs_bare_serialized={ratio:.2f}")
    return ratio
