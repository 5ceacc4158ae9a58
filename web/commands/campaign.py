"""The campaign: import-orgs, setup-demo, start-campaign, rehearse."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from engine import Settings
from engine.campaign import setup as campaign_data
from engine.models.files import collect

from .common import clean_errors, engine_from_env

SHIFT_HELP = "Move the calendar's dates so the deployment is a minute from now (a live demo)."


def register(main):
    """Add this area's commands to `main`."""
    for command in (import_orgs, setup_demo, start_campaign, rehearse):
        main.add_command(command)


def _default_calendar():
    """The last calendar-*.json in processes/ (by name: the newest campaign)."""
    folder = Settings.from_env().processes_dir
    found = sorted(folder.glob("calendar-*.json"))
    if not found:
        raise click.UsageError(f"no calendar-*.json in {folder}; name one with --campaign")
    return found[-1]


@click.command("import-orgs")
@click.argument("path", type=click.Path())
@clean_errors
def import_orgs(path):
    """Create or update organisations from a CSV file (code,kind,parent,name,name_en,batch)."""
    engine = engine_from_env()
    try:
        result = engine.import_organisations(path)
    finally:
        engine.close()
    click.echo(f"organisations: {len(result.created)} created, {len(result.updated)} updated, "
               f"{len(result.unchanged)} unchanged")


@click.command("setup-demo")
@click.option("--start-campaign", "start", is_flag=True, help="Also start the national campaign case (once).")
@click.option("--campaign", "calendar", type=click.Path(), help="Calendar file (default: the last processes/calendar-*.json).")
@click.option("--shift-to-now", "shift", is_flag=True, help=SHIFT_HELP)
@clean_errors
def setup_demo(start, calendar, shift):
    """Import the organisations, deploy processes/, create the demo users (idempotent)."""
    engine = engine_from_env()
    try:
        _setup_demo(engine, start, calendar, shift)
    finally:
        engine.close()


def _setup_demo(engine, start, calendar, shift):
    settings = engine.settings
    processes = settings.processes_dir
    result = engine.import_organisations(processes / "organisations.csv")
    click.echo(f"organisations: {len(result.created)} created, {len(result.updated)} updated, "
               f"{len(result.unchanged)} unchanged")
    for model in collect([processes]):
        key, version, created, _warnings = engine.deploy(model.files)
        click.echo(f"{'deployed' if created else 'unchanged'} {key} v{version}")
    users = campaign_data.setup_demo(engine, processes / "demo-users.csv",
                                     Path(settings.instance_path) / "demo-users.json")
    click.echo("demo users (name / password / role @ organisation):")
    for user in users:
        password = user.password or "(set before; unchanged)"
        click.echo(f"  {user.username:<16} {password:<14} {user.role}@{user.organisation}  {user.display_name}")
    if start:
        calendar = _calendar(calendar, shift)
        with engine.db.read() as session:
            running = campaign_data.running_campaign(session, calendar["campaign"])
        if running is not None:
            click.echo(f"campaign case {running} already running")
        else:
            started = campaign_data.start_campaign(engine, calendar, "system")
            click.echo(f"campaign case {started.case_id} started")


def _calendar(path, shift):
    calendar = campaign_data.load_calendar(path or _default_calendar())
    if shift:
        now = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
        calendar = campaign_data.shift_calendar(calendar, now)
    return calendar



@click.command("start-campaign")
@click.option("--campaign", "calendar", type=click.Path(), help="Calendar file (default: the last processes/calendar-*.json).")
@click.option("--shift-to-now", "shift", is_flag=True, help=SHIFT_HELP)
@click.option("--user", default="system", show_default=True)
@clean_errors
def start_campaign(calendar, shift, user):
    """Start the national campaign case with the calendar's dates, provinces and themes."""
    engine = engine_from_env()
    try:
        started = campaign_data.start_campaign(engine, _calendar(calendar, shift), user)
    finally:
        engine.close()
    click.echo(started.case_id)


@click.command()
@click.option("--campaign", "calendar", type=click.Path(), help="Calendar file (default: the last processes/calendar-*.json).")
@click.option("--seed", default=0, show_default=True, help="Picks the late provinces, the returned plan, ...")
@click.option("--provinces", type=int, help="Only the first N provinces of the calendar.")
@clean_errors
def rehearse(calendar, seed, provinces):
    """Run a whole campaign on a fresh temporary database, April to October."""
    from engine.campaign.rehearsal import rehearse as run
    calendar = _calendar(calendar, False)
    codes = calendar["provinces"][:provinces] if provinces else None
    run(calendar, seed=seed, provinces=codes, echo=click.echo)
