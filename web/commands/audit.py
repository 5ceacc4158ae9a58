"""Auditors: verify-audit, case exports, the query benchmark."""
import sys

import click

from .common import clean_errors, engine_from_env


def register(main):
    """Add this area's commands to `main`."""
    from .core import bench
    main.add_command(verify_audit)
    main.add_command(audit_key)
    main.add_command(audit_checkpoint)
    main.add_command(export_case)
    bench.add_command(bench_queries)


@click.command("verify-audit")
@click.option("--case", "case_id", type=int, help="Verify one case only (default: every case, "
              "the identity trail, the global sequence and the newest checkpoint).")
@clean_errors
def verify_audit(case_id):
    """Recompute every case's keyed audit chain and the identity trail's (users, roles,
    organisations, tokens), the global sequence of seals and the newest signed checkpoint;
    exit 1 naming each break found (an event altered, removed or reordered, a case missing)."""
    engine = engine_from_env()
    try:
        report = engine.verify_audit_all("system", case_id)
    finally:
        engine.close()
    if case_id is not None and report.cases == 0:
        click.echo(f"error: Case {case_id} does not exist.", err=True)
        sys.exit(1)
    for found in report.breaks:
        click.echo(f"BROKEN {found} [{found.what}]")
    of_cases = [b for b in report.breaks if b.chain == "case"]
    if of_cases:
        click.echo(f"{report.cases} case(s) checked: {len({b.case_id for b in of_cases})} tampered with, "
                   f"{len(of_cases)} break(s)")
    else:
        click.echo(f"{report.cases} case(s) checked: every audit chain intact")
    if case_id is None:
        for chain, line in (("identity", f"identity trail: {report.identity_events} event(s)"),
                            ("global", f"global sequence: {report.seals} seal(s)"),
                            ("checkpoint", f"checkpoint: {report.checkpoint or 'none yet'}")):
            count = sum(1 for b in report.breaks if b.chain == chain)
            click.echo(f"{line}, " + (f"{count} break(s)" if count else "intact"))
    if report.breaks:
        sys.exit(1)


@click.group("audit-key")
def audit_key():
    """The audit chains' HMAC keys (kept outside the database)."""


@audit_key.command("rotate")
@clean_errors
def rotate_key():
    """Chain new audit events under a new key; the old keys stay for verification."""
    engine = engine_from_env()
    try:
        key_id = engine.rotate_audit_key()
        where = engine.settings.audit_keys_path
    finally:
        engine.close()
    click.echo(f"audit key {key_id} is now current (keys: {where})")


@click.command("audit-checkpoint")
@clean_errors
def audit_checkpoint():
    """Sign the audit chains' heads and write them outside the database now."""
    engine = engine_from_env()
    try:
        written = engine.write_audit_checkpoint()
    finally:
        engine.close()
    click.echo(f"checkpoint written: {written.path} (global sequence {written.body['global']['seq']}, "
               f"{len(written.body['cases'])} case(s))")


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
