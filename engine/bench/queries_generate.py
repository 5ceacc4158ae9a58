"""Generating N cases with realistic history for `liandong bench queries`, fast.

Rows are written in bulk (COPY on PostgreSQL, executemany on SQLite), not through the engine's
commands, but they are the rows the engine writes: every case's audit events form a valid
hash chain ending in the case row's head (`engine.case.audit.chain_hash`), each event carries the
`path`, `opened`, `submitted` and `changes` details the commands record, task rows open and
close with the events, and stage rows follow the `stage` fact. The model is
`report_cycle.bpmn` (submit, review, send back or approve), deployed under the campaign's
keys as processes/dashboard.json names them (campaign, province, activity, evaluation) and
as everyday report cases. Each case's `state` is a real serialized workflow of that model
(the same one for every case: no query here reads it, but it has the real size).
"""
import json
import queue
import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import insert, text

from engine.runtime import workflow as runtime, state as serialization
from engine.case.audit import GENESIS, chain_hash
from engine.reading.dashboard import Definition
from engine.models.deploy import deploy as deploy_files
from engine.people.identity import SYSTEM_ACTOR
from engine.storage import AuditEvent, Case, CaseStage, CaseTask, Membership, Organisation, User

MODEL = Path(__file__).with_name("report_cycle.bpmn")
#: The campaign's process keys and stages as the shipped dashboard definition names them.
DASHBOARD = Definition.load(Path(__file__).resolve().parents[2] / "processes" / "dashboard.json")
CAMPAIGN, PROVINCE, ACTIVITY = DASHBOARD.campaign_process, DASHBOARD.row_process, DASHBOARD.activity_process
EVALUATION = next((c["process"] for c in DASHBOARD.columns if c.get("type") == "related"), "evaluation")
KEYS = (CAMPAIGN, PROVINCE, ACTIVITY, EVALUATION, "report_cycle")
STAGES = tuple(s["id"] for s in DASHBOARD.stages)
FORMS = ("联盟", "会议", "讲座", "展览", "演出")
THEMES = ("标准化", "均等化", "社会化", "数字化", "群众文化活动", "基层人才队伍建设", "服务效能提升", "体制机制创新")
GRADES = ("excellent", "good", "pass", "fail")
PROVINCES, CITIES_PER_PROVINCE = 31, 10
START = datetime(2016, 4, 1, 1, 0, tzinfo=UTC)
TASKS = {"Task_Submit": ("Submit the report", "city"), "Task_Review": ("Review the report", "province"),
         "Task_Approve": ("Approve", "ministry")}
BATCH = 4000


@dataclass
class World:
    provinces: list  # [(code, path)]
    cities: dict  # province code -> [(code, path)]
    users: dict  # org code -> [usernames]
    versions: dict  # key -> process_version_id
    now: datetime
    org_ids: dict = field(default_factory=dict)
    campaigns: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {"cases": 0, "events": 0, "tasks": 0})


class Writer:
    """Buffers rows per table and writes them in big batches, on a thread of its own, so the
    database ingests one batch while the next is generated. One thread, batches in order:
    a case is always written before the rows (and child cases) that refer to it."""

    def __init__(self, db):
        self.db, self.rows = db, {}
        self.queue = queue.Queue(maxsize=2)
        self.failure = None
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def add(self, table, row):
        self.rows.setdefault(table, []).append(row)

    def flush(self):
        """Hand the buffered rows over, cases first: the other rows refer to them."""
        if self.failure is not None:
            raise self.failure
        batch = [(table, self.rows[table]) for table in sorted(self.rows, key=lambda t: t.name != "cases")
                 if self.rows[table]]
        self.rows = {}
        if batch:
            self.queue.put(batch)

    def close(self):
        """Write what is left and wait for the thread; re-raise what it failed with."""
        self.flush()
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def _drain(self):
        while (batch := self.queue.get()) is not None:
            if self.failure is None:
                try:
                    for table, rows in batch:
                        _write(self.db, table, rows)
                except Exception as err:  # noqa: BLE001 - reported by flush/close
                    self.failure = err


def _write(db, table, rows):
    if db.dialect != "postgresql":
        with db.engine.begin() as conn:
            conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    raw = db.engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
                                for v in (row[c] for c in columns)])
        raw.commit()
    finally:
        raw.close()


def generate(engine, n: int, seed: int = 7) -> World:
    rng = random.Random(seed)
    writer = Writer(engine.db)
    world = _organisations_and_users(engine, writer)
    world.versions, state = _deploy(engine)
    campaigns = max(1, min(10, n // 5000))
    # One campaign a year; "now" is late in the last campaign's year (its evaluation).
    days = 365 * (campaigns - 1) + 200
    world.now = START + timedelta(days=days)
    per_campaign = min(n // campaigns, 1 + 2 * PROVINCES + 1000)
    next_id = 1
    for year in range(campaigns):
        if next_id + per_campaign - 1 > n:
            break
        next_id = _campaign(world, writer, rng, state, next_id, per_campaign, year)
        world.campaigns.append(next_id - per_campaign)
    while next_id <= n:
        org_code, org_path = _random_org(world, rng)
        _case(world, writer, rng, state, next_id, "report_cycle", org_code, org_path,
              START + timedelta(days=rng.uniform(0, days - 10)), None, _report_facts(rng))
        next_id += 1
        if next_id % BATCH == 0:
            writer.flush()
    writer.close()
    _reset_sequences(engine.db)
    return world


def _organisations_and_users(engine, writer) -> World:
    world_ids = {}
    orgs, users, memberships = [], [], []
    provinces, cities, members = [], {}, {}
    orgs.append({"id": 1, "code": "ministry", "name": "文化部公共文化司", "kind": "ministry", "parent_id": None,
                     "path": "/ministry/", "attributes": {}})
    next_org = 2
    for p in range(1, PROVINCES + 1):
        code, pid = f"p{p:02d}", next_org
        path = f"/ministry/{code}/"
        orgs.append({"id": pid, "code": code, "name": f"省{p:02d}文化厅", "kind": "province", "parent_id": 1,
                         "path": path, "attributes": {}})
        provinces.append((code, path))
        next_org += 1
        cities[code] = []
        for c in range(1, CITIES_PER_PROVINCE + 1):
            ccode = f"{code}c{c:02d}"
            orgs.append({"id": next_org, "code": ccode, "name": f"市{p:02d}-{c:02d}", "kind": "city",
                             "parent_id": pid, "path": f"{path}{ccode}/", "attributes": {}})
            cities[code].append((ccode, f"{path}{ccode}/"))
            next_org += 1
    org_ids = {o["code"]: o["id"] for o in orgs}
    world_ids.update(org_ids)
    plan = [("ministry", "ministry", 5), ("ministry", "auditor", 2)]
    plan += [(code, "province", 3) for code, _ in provinces]
    plan += [(ccode, "city", 2) for code in cities for ccode, _ in cities[code]]
    uid = 0
    for org_code, role, count in plan:
        for i in range(count):
            uid += 1
            name = f"{org_code}_{role}{i + 1}"
            users.append({"id": uid, "username": name, "display_name": name, "locale": "zh_CN",
                              "timezone": "Asia/Shanghai", "active": True, "created_at": START})
            memberships.append({"id": uid, "user_id": uid, "organisation_id": org_ids[org_code], "role": role})
            if role != "auditor":
                members.setdefault(org_code, []).append(name)
    for table, rows in ((Organisation.__table__, orgs), (User.__table__, users),
                        (Membership.__table__, memberships)):
        _write(engine.db, table, rows)
    return World(provinces, cities, members, {}, START, org_ids=world_ids)


def _deploy(engine):
    files = {MODEL.name: MODEL.read_bytes()}
    versions = {}
    with engine.db.transaction() as session:
        for key in KEYS:
            versions[key] = deploy_files(session, files, SYSTEM_ACTOR, key=key).version.id
    with engine.db.read() as session:
        bundle = engine.specs.get(session, versions["report_cycle"])
    workflow = runtime.new_workflow(bundle, engine.script_engine, {"title": "bench"})
    runtime.advance(workflow)
    return versions, serialization.dump_state(workflow)


def _random_org(world, rng):
    code, path = rng.choice(world.provinces)
    return rng.choice(world.cities[code]) if rng.random() < 0.7 else (code, path)


def _report_facts(rng):
    return {"title": f"报告 {rng.randint(1, 9999)}", "budget": rng.randint(1000, 500000)}


def _campaign(world, writer, rng, state, first_id, size, year) -> int:
    """A campaign case, its province cases, evaluation cases for the provinces that have
    summarised, and activity cases under the provinces for the rest of `size`."""
    began = START + timedelta(days=365 * year)
    top_stage = STAGES[rng.randint(1, len(STAGES) - 1)]
    _case(world, writer, rng, state, first_id, CAMPAIGN, "ministry", "/ministry/", began,
          None, {"stage": top_stage, "year": 2016 + year}, stages=STAGES[:STAGES.index(top_stage) + 1])
    province_ids, next_id = [], first_id + 1
    for index, (code, path) in enumerate(world.provinces):
        reached = STAGES[:rng.randint(2, len(STAGES))]
        facts = {"stage": reached[-1], "plan_on_time": rng.random() < 0.8}
        if reached[-1] == STAGES[-1]:
            facts.update(summary_on_time=rng.random() < 0.7, self_score=rng.randint(60, 100))
        _case(world, writer, rng, state, next_id, PROVINCE, code, path,
              began + timedelta(hours=index), first_id, facts, stages=reached)
        province_ids.append((next_id, code, reached[-1] == STAGES[-1]))
        next_id += 1
    for _case_id, code, summarised in province_ids:
        if summarised:
            _case(world, writer, rng, state, next_id, EVALUATION, "ministry", "/ministry/",
                  began + timedelta(days=200), first_id, {"unit": code, "grade": rng.choice(GRADES)})
            next_id += 1
    for case_id in range(next_id, first_id + size):
        parent, code, _summarised = rng.choice(province_ids)
        ccode, cpath = rng.choice(world.cities[code])
        facts = {"stage": "implementation", "form": rng.choice(FORMS), "theme": rng.choice(THEMES),
                 "material_complete": rng.random() < 0.6, "budget": rng.randint(1000, 200000)}
        _case(world, writer, rng, state, case_id, ACTIVITY, ccode, cpath,
              began + timedelta(days=rng.uniform(30, 150)), parent, facts)
    writer.flush()
    return first_id + size


def _actor_for(world, rng, lane, org_code, org_path):
    if lane == "ministry":
        return rng.choice(world.users["ministry"]), "ministry"
    parts = org_path.strip("/").split("/")
    province = parts[1] if len(parts) > 1 else rng.choice(world.provinces)[0]
    if lane == "province":
        return rng.choice(world.users[province]), province
    city = org_code if org_code in world.users and len(parts) == 3 else rng.choice(world.cities[province])[0]
    return rng.choice(world.users[city]), city


def _case(world, writer, rng, state, case_id, key, org_code, org_path, started, parent, facts, stages=()):
    starter, starter_org = _actor_for(world, rng, "city" if org_path.count("/") == 4 else
                                      ("ministry" if org_code == "ministry" else "province"), org_code, org_path)
    rounds = rng.choice((4, 5, 5, 6))
    finished = rng.random() < 0.6
    stop_after = None if finished else rng.randint(0, rounds * 2)  # index of the last task opened
    at, events, prev = started, [], GENESIS
    open_row, opened_count = None, 0

    def event(kind, actor, org, element=None, task_row=None, **detail):
        nonlocal prev, at
        ev = SimpleNamespace(case_id=case_id, seq=len(events) + 1, at=at, actor=actor, organisation=org,
                             kind=kind, element_id=element, task_id=task_row, detail=detail)
        ev.prev_hash, ev.hash = prev, chain_hash(prev, ev)
        prev = ev.hash
        events.append(ev)
        at += timedelta(minutes=rng.randint(30, 4000))

    def open_task(element):
        nonlocal open_row, opened_count
        name, lane = TASKS[element]
        open_row = {"id": str(uuid.UUID(int=rng.getrandbits(128))), "case_id": case_id, "process_key": key,
                        "element_id": element, "name": name, "lane": lane, "org_path": org_path, "state": "ready",
                        "starter": starter, "assignee": None, "created_at": at, "due_at": at + timedelta(days=14),
                        "completed_at": None, "completed_by": None}
        opened_count += 1
        return [{"id": open_row["id"], "element_id": element, "name": name, "lane": lane}]

    def complete(element, path, submitted, changes, next_element):
        who, org = _actor_for(world, rng, TASKS[element][1], org_code, org_path)
        row = open_row
        event("task_claimed", who, org, element, row["id"], task=row["name"])
        row.update(state="completed", assignee=who, completed_at=at, completed_by=who)
        writer.add(CaseTask.__table__, row)
        opened = open_task(next_element) if next_element else None
        detail = {"task": row["name"], "lane": row["lane"], "submitted": submitted, "changes": changes, "path": path}
        if opened:
            detail["opened"] = opened
        event("task_completed", who, org, element, row["id"], **detail)

    data = {"title": facts.get("title", f"案件 {case_id}")}
    event("case_started", starter, starter_org, path=["StartEvent", "Join"], opened=open_task("Task_Submit"),
          data=data, version=1, business_key=None, organisation=org_code)
    status = "running"
    for r in range(rounds):
        if stop_after is not None and opened_count > stop_after:
            break
        budget = rng.randint(1000, 500000)
        complete("Task_Submit", ["Task_Submit"], {"report": f"第{r + 1}稿", "budget": budget},
                 {"report": [None if r == 0 else f"第{r}稿", f"第{r + 1}稿"], "budget": [None, budget]}, "Task_Review")
        if stop_after is not None and opened_count > stop_after:
            break
        last = r == rounds - 1
        complete("Task_Review", ["Task_Review", "Gateway_Ok"] + ([] if last else ["Join"]),
                 {"accepted": last, "comment": "同意" if last else "请补充材料"},
                 {"accepted": [None, last]}, "Task_Approve" if last else "Task_Submit")
    else:
        if stop_after is None:
            complete("Task_Approve", ["Task_Approve", "EndEvent"], {"approved": True}, {"approved": [None, True]}, None)
            event("case_completed", starter, starter_org)
            status, open_row = "completed", None
    if open_row is not None:
        writer.add(CaseTask.__table__, open_row)
    for ev in events:
        writer.add(AuditEvent.__table__, {
            "case_id": case_id, "seq": ev.seq, "at": ev.at, "actor": ev.actor, "organisation": ev.organisation,
            "kind": ev.kind, "element_id": ev.element_id, "task_id": ev.task_id, "detail": ev.detail,
            "prev_hash": ev.prev_hash, "hash": ev.hash})
    stage_at = started
    for stage in stages:
        writer.add(CaseStage.__table__, {"case_id": case_id, "stage": stage, "reached_at": stage_at})
        stage_at += timedelta(days=rng.randint(10, 60))
    writer.add(Case.__table__, {
        "id": case_id, "process_version_id": world.versions[key], "process_key": key, "business_key": None,
        "title": data["title"], "status": status, "stage": facts.get("stage"),
        "organisation_id": world.org_ids[org_code], "org_path": org_path, "parent_case_id": parent, "started_by": starter,
        "started_at": started, "updated_at": at, "ended_at": at if status == "completed" else None,
        "lock_version": len(events), "facts": facts, "state": state, "last_error": None, "last_error_element": None,
        "audit_seq": len(events), "audit_head": prev})
    world.counts["cases"] += 1
    world.counts["events"] += len(events)
    world.counts["tasks"] += opened_count


def _reset_sequences(db):
    """Explicit ids were written; let the next engine insert continue after them."""
    if db.dialect != "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with db.engine.begin() as conn:
        for table in ("organisations", "users", "memberships", "cases"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))
