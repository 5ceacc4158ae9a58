"""`liandong bench cluster`: web nodes (gunicorn) and schedulers as real processes on
127.0.0.1, driven through the REST API by concurrent clients, with one scheduler killed
with SIGKILL mid-run and started again. Everything is then checked in the database:

- lost: acknowledged commands (a 201 start, a 200 completion) missing from the database;
- double_completions: a task completed twice (two `task_completed` events, or two
  successes in one deliberate same-task race);
- double_timers: a timer fired twice (two `timer_fired` events of one timer element);
- audit_ok: every case's hash chain verifies.

Bounded: at most 8 nodes, 8 schedulers, 32 clients and 600 seconds of load, then a bounded
wait for the timers; every process it started is stopped, its scratch database removed.
"""
import hashlib
import http.client
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from engine.bench.engine_bench import bench_engine
from engine.bench.scratch import scratch_database
from engine.bench.timer_bench import MODEL as TIMER_MODEL, percentile
from engine.case.audit import verify_cases
from engine.storage import ApiToken, AuditEvent, Case, CaseTask, Timer, User

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
LOOPBACK = {"127.0.0.1", "localhost", "::1", None, ""}
#: A killed scheduler's claims are taken over after this lease (the product's default is
#: 60 s; the benchmark shortens it so the run stays short).
LEASE_SECONDS = 8
RACE_EVERY = 4   # every 4th case of a client: its first task completed twice at once
TIMER_EVERY = 3  # every 3rd iteration: a case waiting on a timer due 1-4 s later


class Client:
    """One API client: keeps a connection per node, records every request's latency."""

    def __init__(self, ports, tokens, record):
        self.ports, self.tokens, self.record = ports, tokens, record
        self.connections = {}

    def call(self, port, method, path, user, body=None):
        conn = self.connections.get(port)
        if conn is None:
            conn = self.connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {self.tokens[user]}",
                   "Content-Type": "application/json"}
        payload = json.dumps(body) if body is not None else None
        began = time.perf_counter()
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            self.connections.pop(port, None)
            status, data = 0, b""
        self.record(time.perf_counter() - began, status)
        try:
            return status, json.loads(data) if data else {}
        except ValueError:
            return status, {}

    def close(self):
        for conn in self.connections.values():
            conn.close()


class Load:
    """What the clients did and what the servers acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies, self.statuses = [], Counter()
        self.started, self.completed, self.timer_cases = [], [], []
        self.races = []  # (task_id, successes)

    def record(self, seconds, status):
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1


def _drive(number, ports, tokens, load, deadline, now):
    rng = random.Random(number)
    client = Client(ports, tokens, load.record)
    port = ports[number % len(ports)]
    iteration = 0
    try:
        while time.monotonic() < deadline:
            iteration += 1
            if iteration % TIMER_EVERY == 0:
                due = now() + timedelta(seconds=1 + rng.random() * 3)
                status, body = client.call(port, "POST", "/api/v1/cases", "bench_a",
                                           {"process_key": "bench_timer",
                                            "data": {"due": due.isoformat()}})
                if status == 201:
                    with load.lock:
                        load.timer_cases.append(body["case_id"])
            status, body = client.call(port, "POST", "/api/v1/cases", "bench_a",
                                       {"process_key": "bench_review", "data": {"title": "bench"}})
            if status != 201:
                continue
            with load.lock:
                load.started.append(body["case_id"])
            first = body["tasks"][0]
            if iteration % RACE_EVERY == 0:
                outcomes = _race(ports, tokens, load, first)
                ok = [b for s, b in outcomes if s == 200]
                with load.lock:
                    load.races.append((first, len(ok)))
                    load.completed.extend(first for _ in ok[:1])
                if not ok:
                    continue
                body = ok[0]
            else:
                status, body = client.call(port, "POST", f"/api/v1/tasks/{first}/complete",
                                           "bench_a", {"data": {"amount": 10}})
                if status != 200:
                    continue
                with load.lock:
                    load.completed.append(first)
            client.call(port, "GET", "/api/v1/tasks?view=open&per_page=20", "bench_b")
            for task_id in body.get("tasks", []):
                other = ports[(number + 1) % len(ports)]  # the next step on another node
                status, _ = client.call(other, "POST", f"/api/v1/tasks/{task_id}/complete",
                                        "bench_b", {"data": {"ok": True}})
                if status == 200:
                    with load.lock:
                        load.completed.append(task_id)
    finally:
        client.close()


def _race(ports, tokens, load, task_id):
    """The same completion sent at once through two nodes: one must win, one get 409."""
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def send(slot):
        client = Client(ports, tokens, load.record)
        try:
            barrier.wait(5)
            outcomes[slot] = client.call(ports[slot % len(ports)], "POST",
                                         f"/api/v1/tasks/{task_id}/complete", "bench_a",
                                         {"data": {"amount": 10}})
        finally:
            client.close()

    threads = [threading.Thread(target=send, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return [o for o in outcomes if o is not None]


def _tokens(engine) -> dict:
    tokens = {}
    with engine.db.transaction() as session:
        for name in ("bench_a", "bench_b"):
            user = session.scalar(select(User).where(User.username == name))
            token = "ld_" + secrets.token_urlsafe(32)
            session.add(ApiToken(user_id=user.id, label="cluster bench",
                                 token_sha256=hashlib.sha256(token.encode()).hexdigest()))
            tokens[name] = token
    return tokens


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """The processes the benchmark started, each stopped at the end whatever happens."""

    def __init__(self, url, folder: Path, audit_keys: Path):
        self.folder = folder
        # every node chains under the same audit keys as the engine that checks them
        self.env = dict(os.environ, LIANDONG_DATABASE_URL=url,
                        LIANDONG_INSTANCE_PATH=str(folder / "instance"),
                        LIANDONG_AUDIT_KEYS_DIR=str(audit_keys),
                        LIANDONG_TIMER_LEASE_SECONDS=str(LEASE_SECONDS),
                        LIANDONG_LOG_LEVEL="WARNING",
                        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.started: list[subprocess.Popen] = []
        self.schedulers: dict[int, subprocess.Popen] = {}

    def _spawn(self, command, name, env=None):
        log = open(self.folder / f"{name}.log", "ab")
        proc = subprocess.Popen(command, env=env or self.env, stdout=log, stderr=log,
                                start_new_session=True)
        log.close()
        self.started.append(proc)
        return proc

    def web_node(self, number: int, port: int):
        metrics_dir = self.folder / f"metrics-{number}"
        metrics_dir.mkdir()
        env = dict(self.env, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        command = [sys.executable, "-m", "gunicorn"]
        if GUNICORN_CONF.is_file():
            command += ["--config", str(GUNICORN_CONF)]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
                    "--worker-class", "gthread", "--timeout", "120", "web:create_app()"]
        return self._spawn(command, f"web-{number}", env)

    def scheduler(self, number: int, generation: int = 0):
        command = [sys.executable, "-c", "from web.commands import main; main()", "scheduler",
                   "--tick", "0.5", "--node-id", f"cluster-{number}-{generation}"]
        self.schedulers[number] = self._spawn(command, f"scheduler-{number}-{generation}")
        return self.schedulers[number]

    def stop(self):
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _wait_ready(port: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.3)
    return False


def _check_loopback(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        return
    host = make_url(db_url).host
    if host not in LOOPBACK:
        raise ValueError(f"the cluster benchmark runs against a database on this machine "
                         f"only (127.0.0.1), not {host}")


def run_cluster_bench(nodes: int, schedulers: int, seconds: int, clients: int, db_url: str,
                      echo) -> dict:
    nodes, schedulers = max(1, min(nodes, 8)), max(1, min(schedulers, 8))
    seconds, clients = max(5, min(seconds, 600)), max(1, min(clients, 32))
    _check_loopback(db_url)
    with scratch_database(db_url) as url, \
            tempfile.TemporaryDirectory(prefix="liandong-cluster-") as folder:
        folder = Path(folder)
        engine = bench_engine(url)
        procs = Processes(url, folder, engine.settings.audit_keys_path)
        try:
            engine.deploy({"bench_timer.bpmn": TIMER_MODEL})
            tokens = _tokens(engine)
            echo(f"database: {engine.db.dialect}; {nodes} web node(s) x 2 gunicorn workers, "
                 f"{schedulers} scheduler(s), {clients} client(s), {seconds}s")
            ports = [_free_port() for _ in range(nodes)]
            for number, port in enumerate(ports):
                procs.web_node(number, port)
            for number in range(schedulers):
                procs.scheduler(number)
            if not all(_wait_ready(port) for port in ports):
                echo(f"a web node did not become ready; logs in {folder}")
                return _result(echo, Load(), 0, {}, ok=False)
            load = Load()
            began = time.monotonic()
            deadline = began + seconds
            threads = [threading.Thread(target=_drive, daemon=True,
                                        args=(n, ports, tokens, load, deadline, engine.now))
                       for n in range(clients)]
            for thread in threads:
                thread.start()
            time.sleep(seconds / 2)
            victim = procs.schedulers[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            echo(f"t={time.monotonic() - began:.1f}s: scheduler 0 (pid {victim.pid}) killed "
                 "with SIGKILL")
            time.sleep(1)
            procs.scheduler(0, generation=1)
            echo(f"t={time.monotonic() - began:.1f}s: scheduler 0 started again")
            for thread in threads:
                thread.join(max(1.0, deadline - time.monotonic() + 120))
            elapsed = time.monotonic() - began
            timers_done = _wait_for_timers(engine, LEASE_SECONDS + 30)
            figures = _check(engine, load)
            figures["timers_left"] = timers_done
            web_alive = all(p.poll() is None for p in procs.started[:nodes])
        finally:
            procs.stop()
            engine.close()
        echo(f"cases started={len(load.started)} timer cases={len(load.timer_cases)} "
             f"timers fired={figures['timers_fired']} (still pending {timers_done}); "
             f"races={len(load.races)}; statuses "
             + " ".join(f"{k}:{v}" for k, v in sorted(load.statuses.items())))
        ok = (web_alive and figures["lost"] == 0 and figures["double_completions"] == 0
              and figures["double_timers"] == 0 and figures["audit_ok"] and timers_done == 0)
        return _result(echo, load, elapsed, figures, ok)


def _wait_for_timers(engine, seconds: float) -> int:
    """Pending timers of the run, after waiting up to `seconds` for the schedulers."""
    deadline = time.monotonic() + seconds
    while True:
        with engine.db.read() as session:
            left = session.scalar(select(func.count()).select_from(Timer)
                                  .where(Timer.status == "pending"))
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _check(engine, load: Load) -> dict:
    with engine.db.read() as session:
        cases = set(session.scalars(select(Case.id)))
        done = set(session.scalars(select(CaseTask.id).where(CaseTask.state == "completed")))
        completions = Counter(session.scalars(select(AuditEvent.task_id)
                                              .where(AuditEvent.kind == "task_completed")))
        fired = Counter(session.execute(select(AuditEvent.case_id, AuditEvent.element_id)
                                        .where(AuditEvent.kind == "timer_fired")).all())
        _checked, breaks = verify_cases(session)
    lost = (sum(1 for case_id in load.started + load.timer_cases if case_id not in cases)
            + sum(1 for task_id in load.completed if task_id not in done
                  or completions[task_id] == 0))
    doubles = (sum(1 for count in completions.values() if count > 1)
               + sum(1 for _task, wins in load.races if wins > 1))
    return {"lost": lost, "double_completions": doubles,
            "double_timers": sum(1 for count in fired.values() if count > 1),
            "timers_fired": len(fired), "audit_ok": not breaks}


def _result(echo, load: Load, elapsed: float, figures: dict, ok: bool) -> dict:
    latencies = [1000 * s for s in load.latencies]
    requests = len(latencies)
    figures = {"lost": 0, "double_completions": 0, "double_timers": 0, "audit_ok": False,
               **figures}
    conflicts = load.statuses.get(409, 0)
    echo(f"requests={requests} rps={requests / elapsed if elapsed else 0:.1f} "
         f"p50_ms={percentile(latencies, 50):.1f} p95_ms={percentile(latencies, 95):.1f} "
         f"p99_ms={percentile(latencies, 99):.1f} conflicts={conflicts} "
         f"lost={figures['lost']} double_completions={figures['double_completions']} "
         f"double_timers={figures['double_timers']} audit_ok={int(bool(figures['audit_ok']))}")
    return {**figures, "requests": requests, "conflicts": conflicts, "ok": ok}
