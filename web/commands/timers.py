"""Timers: the scheduler, pending timers, incidents, the timer benchmark."""
from contextlib import closing

import click

from .common import clean_errors, json_object
from .common import engine_from_env as _engine
from .core import bench


def register(main):
    """Add this area's commands to `main`."""
    for command in (scheduler, timers, fire_timers, incidents, retry_incident):
        main.add_command(command)
    bench.add_command(bench_timers)


@click.command()
@click.option("--tick", type=float, help="Seconds between ticks (default: Settings.tick_seconds).")
@click.option("--node-id", help="This node's name in claims (default: host:pid:random).")
@click.option("--metrics-port", type=int, help="Serve this node's /metrics on 127.0.0.1:PORT.")
@clean_errors
def scheduler(tick, node_id, metrics_port):
    """Run the timer scheduler alone, in the foreground (any number, on any hosts).

    SIGTERM or SIGINT stops it within a few seconds, exit status 0: the timer in hand is
    finished and the node's other claims are given back. Started again under the same
    --node-id, it first gives back the claims its last run left.
    """
    from engine.ops import logs
    from engine.scheduler import default_node_id, run_forever
    engine = _engine()
    logs.configure(engine.settings)  # one JSON object a line; repeated errors counted
    if metrics_port:
        from engine.ops import metrics
        metrics.serve(engine, metrics_port)
    node = node_id or default_node_id()
    run_forever(engine, tick, node)


@click.command()
@click.option("--limit", default=500, show_default=True)
@clean_errors
def timers(limit):
    """List pending (and failed) timers: id, due time (UTC), case or start of a process."""
    from engine.commands.timers import pending_timers
    with closing(_engine()) as engine, engine.db.read() as session:
        rows = pending_timers(session, limit)
        for row in rows:
            owner = f"case={row.case_id}" if row.case_id else f"start version={row.process_version_id}"
            extra = f"\tattempts={row.attempts}" if row.attempts else ""
            click.echo(f"{row.id}\t{row.due_at:%Y-%m-%d %H:%M:%S}Z\t{row.status}\t{owner}"
                       f"\t{row.element_id}\t{row.kind}\t{row.expression}{extra}")
    if not rows:
        click.echo("no pending timers")


@click.command("fire-timers")
@clean_errors
def fire_timers():
    """Fire every timer due now, once, and exit (a scheduler tick by hand)."""
    with closing(_engine()) as engine:
        result = engine.fire_due_timers("cli")
    click.echo(f"fired={result.fired} failed={result.failed} skipped={result.skipped} "
               f"emailed={result.emailed}")


@click.command()
@click.option("--all", "include_resolved", is_flag=True, help="Include resolved incidents.")
@click.option("--user", default="system", show_default=True)
@clean_errors
def incidents(include_resolved, user):
    """List incidents: id, case, element, when, the error."""
    from engine.commands.timers import open_incidents
    with closing(_engine()) as engine, engine.db.read() as session:
        rows = open_incidents(session, engine.actor(user), include_resolved)
        for row in rows:
            state = f"resolved by {row.resolved_by}" if row.resolved_at else "open"
            click.echo(f"{row.id}\tcase={row.case_id}\t{row.element_id}\t{row.kind}"
                       f"\t{row.created_at:%Y-%m-%d %H:%M:%S}Z\t{state}\t{row.message}")
    if not rows:
        click.echo("no incidents")


@click.command("retry-incident")
@click.argument("incident_id", type=int)
@click.option("--data", callback=json_object, help="Values to set on the waiting task first (JSON).")
@click.option("--user", default="system", show_default=True)
@clean_errors
def retry_incident(incident_id, data, user):
    """Retry the failed timer of incident INCIDENT_ID now (after fixing its cause)."""
    with closing(_engine()) as engine:
        outcome = engine.retry_incident(incident_id, user, data)
    click.echo(f"incident {incident_id}: {outcome}")
    if outcome.startswith("failed"):
        raise SystemExit(1)


@click.command("timers")
@click.option("--timers", "n", default=200, show_default=True, help="Cases, one timer each.")
@click.option("--schedulers", "k", default=1, show_default=True, help="Scheduler processes.")
@click.option("--db", "db_url", help="Database URL (default: a fresh SQLite file); on "
              "PostgreSQL the benchmark works in a schema of its own and drops it.")
@click.option("--tick", default=1.0, show_default=True, help="Scheduler tick in seconds.")
@click.option("--spread", default=5.0, show_default=True,
              help="Timers fall due 1 to 1+SPREAD seconds after their case starts.")
def bench_timers(n, k, db_url, tick, spread):
    """K real scheduler processes fire N timers: fired, duplicates, lateness."""
    from engine.bench.timer_bench import run_timer_bench
    run_timer_bench(n, k, db_url, tick, spread, click.echo)
