"""Auditors: verify-audit, case exports, the query benchmark."""
import sys

import click

from engine.case.audit import verify_cases
from engine.people import trail

from .common import clean_errors, engine_from_env


def register(main):
    """Add this area's commands to `main`."""
    from .core import bench
    main.add_command(verify_audit)
    main.add_command(export_case)
    bench.add_command(bench_queries)


@click.command("verify-audit")
@click.option("--case", "case_id", type=int, help="Verify one case only (default: every case, "
              "then the identity trail).")
@clean_errors
def verify_audit(case_id):
    """Recompute every case's audit hash chain and the identity trail's (users, roles,
    organisations, tokens); exit 1 naming each break found."""
    engine = engine_from_env()
    try:
        with engine.db.read() as session:
            checked, breaks = verify_cases(session, case_id)
            events, trail_breaks = trail.verify(session) if case_id is None else (0, [])
    finally:
        engine.close()
    if case_id is not None and checked == 0:
        click.echo(f"error: Case {case_id} does not exist.", err=True)
        sys.exit(1)
    for found in [*breaks, *trail_breaks]:
        click.echo(f"BROKEN {found}")
    cases = len({b.case_id for b in breaks})
    if breaks:
        click.echo(f"{checked} case(s) checked: {cases} tampered with, {len(breaks)} break(s)")
    else:
        click.echo(f"{checked} case(s) checked: every audit chain intact")
    if case_id is None:
        click.echo(f"identity trail: {events} event(s), "
                   + (f"{len(trail_breaks)} break(s)" if trail_breaks else "intact"))
    if breaks or trail_breaks:
        sys.exit(1)


@click.command("export-case")
@click.argument("case_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--user", default="system", show_default=True, help="Read as this user (scoped).")
@clean_errors
def export_case(case_id, fmt, user):
    """Print case CASE_ID's full history as JSON or CSV."""
    from engine.reading import reports
    engine = engine_from_env()
    try:
        actor = engine.actor(user)
        with engine.db.read() as session:
            text = reports.case_json(session, actor, case_id) if fmt == "json" \
                else reports.case_csv(session, actor, case_id)
    finally:
        engine.close()
    click.echo(text, nl=False)


@click.command("queries")
@click.option("--cases", "n", default=10000, show_default=True, help="Cases to generate.")
@click.option("--db", "db_url", help="Database URL (default: a fresh SQLite file); a fresh "
              "schema is made on PostgreSQL and dropped afterwards.")
@click.option("--runs", default=50, show_default=True, help="Timed runs per query.")
def bench_queries(n, db_url, runs):
    """Inbox, case search, timeline and dashboard latency over N generated cases."""
    from engine.bench.queries_bench import run_queries_bench
    run_queries_bench(n, db_url, runs, click.echo)
