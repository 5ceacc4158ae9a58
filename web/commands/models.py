"""Process owners: list versions, diff two of them, migrate running cases, list connectors."""
import json
import sys

import click

from contextlib import contextmanager

from engine import Engine, Settings

from .common import clean_errors, engine_from_env


@contextmanager
def _engine():
    """The engine for one command, its connections closed when the command ends."""
    engine = engine_from_env()
    try:
        yield engine
    finally:
        engine.close()


def register(main):
    """Add this area's commands to `main`."""
    for command in (versions, diff, migrate, connectors):
        main.add_command(command)


@click.command()
@click.argument("key")
@clean_errors
def versions(key):
    """List the versions of process KEY: who deployed it, when, cases running on it, and
    what it changed ("process changed", or "layout only" when only the diagram did)."""
    with _engine() as engine:
        found = engine.versions(key)
    for v in found:
        click.echo(f"v{v.version}\t{v.deployed_at:%Y-%m-%d %H:%M}\t{v.deployed_by}\t"
                   f"running={v.running_cases}\tcases={v.all_cases}\t{' '.join(v.files)}\t"
                   f"{v.change_words}")


@click.command()
@click.argument("key")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON.")
@clean_errors
def diff(key, old, new, as_json):
    """What changed in process KEY from version OLD to version NEW."""
    with _engine() as engine:
        result = engine.diff_versions(key, old, new)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(result.summary)
    for element in result.elements:
        click.echo(str(element))
        for aspect, change in element.details.items():
            if aspect in WORDED:
                click.echo(f"  {aspect}: {_short(change.get('before'))} -> {_short(change.get('after'))}")


#: Aspects whose before and after a reader can follow in a line.
WORDED = ("name", "flows", "conditions", "script", "timer", "form", "lane", "event")


def _short(value, limit=120):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 1] + "…"


@click.command()
@click.argument("key")
@click.option("--to", "to_version", type=int, help="Target version (default: the latest).")
@click.option("--case", "case_ids", type=int, multiple=True, help="Only this case (repeatable).")
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option("--user", default="system", show_default=True)
@clean_errors
def migrate(key, to_version, case_ids, dry_run, user):
    """Move running cases of KEY to a newer version where it is safe; exit 1 if any is refused."""
    with _engine() as engine:
        verdicts = engine.migrate_cases(key, user, to_version, list(case_ids) or None, dry_run)
    if not verdicts:
        click.echo(f"{key}: no running cases to migrate")
    for verdict in verdicts:
        click.echo(str(verdict))
    moved = sum(v.migrated or (dry_run and v.migratable) for v in verdicts)
    click.echo(f"{moved} of {len(verdicts)} case(s) {'would migrate' if dry_run else 'migrated'}")
    sys.exit(1 if any(not v.migratable for v in verdicts) else 0)


@click.command()
@clean_errors
def connectors():
    """List the connectors service tasks may name (spiffworkflow:serviceTaskOperator), with
    their parameters (* required), and the hosts the HTTP connector may call."""
    engine = Engine(Settings.from_env())
    try:
        for connector in engine.connectors:
            params = ", ".join(f"{p.id}{'*' if p.required else ''}:{p.type}" for p in connector.parameters)
            click.echo(f"{connector.id}\t{connector.description}\t{params}")
        hosts = ", ".join(engine.settings.http_connector_hosts) or "none (set http_connector_hosts)"
        click.echo(f"http hosts allowed: {hosts}; timeout {engine.settings.http_connector_timeout:g} s; "
                   f"responses up to {engine.settings.http_connector_max_bytes} bytes")
    finally:
        engine.close()
