"""`liandong bench engine`: the engine against bare SpiffWorkflow on the same 5-step model.

The baseline is what any host of SpiffWorkflow must at least do: load the workflow from
JSON before each step and save it after (SpiffWorkflow's own serializer, spec included).
The engine does the same through its public commands, plus storage, task rows, timers and
the audit trail, each command in its own transaction.

A stricter baseline runs beside it: bare SpiffWorkflow whose round trip is the state alone,
without the spec, as the engine stores it (`ratio_vs_bare_specless=`, printed before the
last line).

The machines this runs on are shared and noisy, so the two are timed in alternating
rounds, and the ratio printed last is the median of the rounds' ratios: a slow spell
then weighs on both sides of one round, not on one side of the whole comparison.
"""
import statistics
import time
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import Engine, Settings
from engine.people import identity
from engine.models.bpmn.parsing import parse_model
from engine.runtime.state import dump_state, full_serializer, load_state
from engine.storage import Case
from engine.storage.schema import upgrade
from engine.bench.scratch import scratch_database

MODEL = Path(__file__).with_name("model.bpmn")
ROUNDS = 5
COMMANDS = 4  # per instance: start and three completions, each its own transaction


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


def bare_specless(n: int, model=None) -> float:
    """Seconds for `n` instances of bare SpiffWorkflow whose JSON round trip per step is the
    state alone, spec left out, exactly as the engine stores a case: the stricter baseline,
    since the engine does not pay for re-reading the spec either."""
    model = model or parse_model({MODEL.name: MODEL.read_bytes()})
    began = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
        workflow.do_engine_steps()
        state = dump_state(workflow)
        for data in ({"amount": 10}, {"ok": True}, {"ok": True}):
            workflow = load_state(state, model.spec, model.subprocess_specs)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            state = dump_state(workflow)
        assert load_state(state, model.spec, model.subprocess_specs).is_completed()
    return time.perf_counter() - began


def bench_engine(url: str) -> Engine:
    """An engine on `url` with the benchmark's organisation, two users and the model."""
    engine = Engine(Settings.from_env(database_url=url))  # LIANDONG_SQLITE_SYNCHRONOUS applies
    upgrade(engine.db)
    with engine.db.transaction() as s:
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


def storage_floor(engine: Engine, n: int) -> float:
    """Seconds the database alone takes for `n` instances' transactions: each locks a case
    row, writes its state back and commits, through the driver with nothing in between."""
    sqlite = engine.db.is_sqlite
    with engine.db.engine.connect() as conn:
        case_id, state = conn.execute(select(Case.id, Case.state).order_by(Case.id.desc())).first()
    mark = "?" if sqlite else "%s"
    lock = f"SELECT state, lock_version FROM cases WHERE id = {mark}" + ("" if sqlite else " FOR UPDATE")
    write = f"UPDATE cases SET state = {mark}, lock_version = lock_version + 1 WHERE id = {mark}"
    raw = engine.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        began = time.perf_counter()
        for _ in range(n * COMMANDS):
            if sqlite:  # the driver is in autocommit mode: the engine begins itself
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute(lock, (case_id,))
            cursor.fetchone()
            cursor.execute(write, (state, case_id))
            if sqlite:
                cursor.execute("COMMIT")
            else:
                raw.commit()
        return time.perf_counter() - began
    finally:
        raw.close()


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
            bare_specless(max(5, per_round // 4), model)
            bare_times, engine_times, floor_times, specless_times = [], [], [], []
            for number in range(1, rounds + 1):
                bare_times.append(bare_spiff(per_round, model))
                specless_times.append(bare_specless(per_round, model))
                engine_times.append(engine_run(engine, per_round))
                floor_times.append(storage_floor(engine, per_round))
                echo(f"round {number}: bare {per_round / bare_times[-1]:.1f}/s, "
                     f"bare spec-less {per_round / specless_times[-1]:.1f}/s, "
                     f"engine {per_round / engine_times[-1]:.1f}/s, "
                     f"ratio {bare_times[-1] / engine_times[-1]:.2f}")
        finally:
            engine.close()
    total = per_round * rounds
    echo(f"bare_spiffworkflow_serialized_instances_per_s={total / sum(bare_times):.1f}")
    echo(f"engine_instances_per_s={total / sum(engine_times):.1f}")
    per_instance = {name: 1000 * sum(times) / total for name, times in
                    (("bare", bare_times), ("specless", specless_times),
                     ("engine", engine_times), ("floor", floor_times))}
    echo(f"ms_per_instance: bare={per_instance['bare']:.2f} "
         f"bare_specless={per_instance['specless']:.2f} engine={per_instance['engine']:.2f} "
         f"storage_floor={per_instance['floor']:.2f} ({COMMANDS} transactions)")
    specless = statistics.median(b / e for b, e in zip(specless_times, engine_times))
    echo(f"ratio_vs_bare_specless={specless:.2f}")
    ratio = statistics.median(b / e for b, e in zip(bare_times, engine_times))
    echo(f"ratio_vs_bare_serialized={ratio:.2f}")
    return ratio
