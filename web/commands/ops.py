"""Operating it: status, backup, restore, and the cluster benchmark."""
import sys
from contextlib import closing

import click

from engine import Engine, Settings

from .common import clean_errors
from .core import bench


def register(main):
    """Add this area's commands to `main`."""
    for command in (status, backup, restore):
        main.add_command(command)
    bench.add_command(bench_cluster)


def _engine() -> Engine:
    """An Engine on the configured database, schema left as it is (these commands look at
    it, copy it, or fill an empty one: none of them may create tables first)."""
    return Engine(Settings.from_env())


@click.command()
@clean_errors
def status():
    """Database, schema, every scheduler's last heartbeat, due backlog; exit 1 if wrong."""
    from engine.ops.health import stale_after
    from engine.ops.health import status as read_status
    with closing(_engine()) as engine:
        found = read_status(engine)
        limit = stale_after(engine)
    ready = found.ready
    click.echo(f"database   {ready.dialect}: {'ok' if ready.ok else ready.reason}")
    click.echo(f"schema     {ready.revision or '-'} (code expects {ready.head})")
    if ready.ok:
        click.echo(f"due timers {found.due_backlog}")
        click.echo(f"incidents  {found.open_incidents} open")
        click.echo(f"schedulers {len(found.schedulers)} (a heartbeat older than {limit:.0f}s "
                   "is stale)")
        if found.schedulers:
            rows = [("NODE", "HOST", "PID", "LAST HEARTBEAT (UTC)", "AGE", "FIRED", "STATE")]
            rows += [(s.node_id, s.host, str(s.pid), f"{s.beat_at:%Y-%m-%d %H:%M:%S}",
                      f"{s.age_s:.0f}s", str(s.fired), "ok" if s.fresh else "STALE")
                     for s in found.schedulers]
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            for row in rows:
                click.echo("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for problem in found.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if not found.ok:
        sys.exit(1)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@clean_errors
def backup(path):
    """Write the database and the uploads to PATH (one archive; safe while the app runs)."""
    with closing(_engine()) as engine:
        click.echo(_summary("backed up", "to", engine.backup(path)))


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@clean_errors
def restore(path):
    """Restore the archive PATH into the configured database, which must be empty."""
    with closing(_engine()) as engine:
        click.echo(_summary("restored", "from", engine.restore(path)))
    click.echo("next: `liandong init-db` (if this code is newer), then `liandong verify-audit`")


@click.command("cluster")
@click.option("--nodes", default=2, show_default=True, type=click.IntRange(1, 8),
              help="Web nodes (gunicorn, 2 workers each).")
@click.option("--schedulers", default=2, show_default=True, type=click.IntRange(1, 8))
@click.option("--seconds", default=30, show_default=True, type=click.IntRange(5, 600),
              help="How long the clients drive the API.")
@click.option("--clients", default=8, show_default=True, type=click.IntRange(1, 32))
@click.option("--db", "db_url", required=True, help="Database URL; the benchmark works in a "
              "fresh schema (PostgreSQL) or a fresh file (SQLite) and removes it.")
def bench_cluster(nodes, schedulers, seconds, clients, db_url):
    """Real web nodes and schedulers on 127.0.0.1 under concurrent API clients, a scheduler
    killed and restarted; checks nothing acknowledged was lost or done twice."""
    from engine.bench.cluster_bench import run_cluster_bench
    figures = run_cluster_bench(nodes, schedulers, seconds, clients, db_url, click.echo)
    if not figures["ok"]:
        sys.exit(1)


def _summary(did: str, where: str, done) -> str:
    counts = " ".join(f"{k}={v}" for k, v in done.counts.items())
    return (f"{did} {done.dialect} database at schema {done.revision} and "
            f"{done.uploads} upload(s) {where} {done.path}: {counts}")
