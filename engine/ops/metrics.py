"""Prometheus metrics, prefix `liandong_`.

Counters and histograms live in this process (prometheus-client's multiprocess mode
aggregates them across gunicorn workers and schedulers on a host when
PROMETHEUS_MULTIPROC_DIR is set before the first import). What the database knows (due
backlog, open incidents, heartbeat ages) is read when scraped, so every node tells the same
truth and a scrape of a node whose database is gone says `liandong_database_up 0`.
"""
import functools
import os

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
    Histogram, generate_latest, start_http_server)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from engine.errors import (Conflict, ExecutionError, Forbidden, InvalidData, LiandongError,
    NotFound, Unavailable)
from engine.ops.health import is_outage, status

HTTP_REQUESTS = Histogram(
    "liandong_http_request_duration_seconds", "Web and API request latency.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
COMMANDS = Counter("liandong_commands", "Engine commands by kind and outcome.",
                   ["kind", "outcome"])
SCRIPT_ERRORS = Counter("liandong_script_errors",
                        "Cases that failed in a script, condition or expression (rolled back).")
TIMERS_FIRED = Counter("liandong_timers_fired", "Timers fired by the schedulers.")
TIMER_LATENESS = Histogram("liandong_timer_lateness_seconds",
                           "Seconds between a timer's due time and its firing.",
                           buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600))

OUTCOMES = ((Unavailable, "unavailable"), (Conflict, "conflict"), (Forbidden, "forbidden"),
            (NotFound, "not_found"), (InvalidData, "invalid"), (ExecutionError, "failed"),
            (LiandongError, "refused"))

#: The Engine methods counted as commands (a method missing from the class is skipped);
#: a new write command of Engine belongs here too.
COMMAND_NAMES = ("deploy", "migrate_cases", "start_case", "complete_task", "claim_task",
                 "unclaim_task", "reassign_task", "suspend_case", "resume_case",
                 "terminate_case", "fire_due_timers", "retry_incident", "deliver_messages",
                 "backup", "restore", "retry_incidents", "resolve_incident", "fire_timer_now",
                 "replace_case_data", "edit_case_data", "retry_case")


def outcome_of(err: BaseException | None) -> str:
    if err is None:
        return "ok"
    return next((name for kind, name in OUTCOMES if isinstance(err, kind)), "error")


def counted_commands(cls):
    """Class decorator for Engine: count each command by kind and outcome, and turn a lost
    database into `Unavailable` (a clear error, 503 on the web) rather than a traceback."""

    def wrap(name, method):
        @functools.wraps(method)
        def command(self, *args, **kwargs):
            try:
                result = method(self, *args, **kwargs)
            except Exception as err:
                if not isinstance(err, LiandongError) and is_outage(err):
                    COMMANDS.labels(name, "unavailable").inc()
                    raise Unavailable() from err
                COMMANDS.labels(name, outcome_of(err)).inc()
                raise
            COMMANDS.labels(name, "ok").inc()
            return result
        return command

    for name in COMMAND_NAMES:
        if name in vars(cls):
            setattr(cls, name, wrap(name, vars(cls)[name]))
    return cls


def timer_fired(lateness_seconds: float) -> None:
    TIMERS_FIRED.inc()
    TIMER_LATENESS.observe(max(0.0, lateness_seconds))


class DatabaseCollector:
    """Gauges read from the database at scrape time."""

    def __init__(self, engine):
        self.engine = engine

    def collect(self):
        up = GaugeMetricFamily("liandong_database_up",
                               "1 when the database answers and its schema is current.")
        try:
            found = status(self.engine)
        except Exception:  # noqa: BLE001 - a scrape must answer even when the database does not
            found = None
        up.add_metric([], 1 if found is not None and found.ready.ok else 0)
        yield up
        if found is None or not found.ready.ok:
            return
        yield GaugeMetricFamily("liandong_due_timers", "Timers due now and not yet fired.",
                                value=found.due_backlog)
        yield GaugeMetricFamily("liandong_open_incidents", "Incidents not yet resolved.",
                                value=found.open_incidents)
        ages = GaugeMetricFamily("liandong_scheduler_heartbeat_age_seconds",
                                 "Seconds since each scheduler's last heartbeat.", labels=["node"])
        for node in found.schedulers:
            ages.add_metric([node.node_id], node.age_s)
        yield ages


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def registry_for(engine) -> CollectorRegistry:
    """What one scrape reports: this process (or every process of this host, in multiprocess
    mode) plus the database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(DatabaseCollector(engine))
    return registry


class _Forward:
    """The process's default registry, collected inside another registry."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def render(engine) -> tuple[bytes, str]:
    """The text exposition of one scrape and its content type."""
    return generate_latest(registry_for(engine)), CONTENT_TYPE_LATEST


def serve(engine, port: int, host: str = "127.0.0.1"):
    """Serve the metrics on their own port (a thread of this process); returns the server."""
    server, _thread = start_http_server(port, host, registry=registry_for(engine))
    return server
