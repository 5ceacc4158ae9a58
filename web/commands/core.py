"""The engine's own commands: schema, identity, deploy/validate, cases, the engine benchmark."""
import sys

import click

from engine.models.files import collect

from .common import clean_errors, engine_from_env as _engine, json_object


def register(main):
    for command in (init_db, create_org, create_user, deploy, validate, start, tasks, complete, bench):
        main.add_command(command)


@click.command("init-db")
@clean_errors
def init_db():
    """Create or upgrade the database schema."""
    engine = _engine()
    click.echo(f"database ready: {engine.db.engine.url.render_as_string(hide_password=True)}")


@click.command("create-org")
@click.argument("code")
@click.option("--name", help="Display name (default: the code).")
@click.option("--parent", help="Code of the parent organisation.")
@click.option("--kind", default="other", show_default=True)
@clean_errors
def create_org(code, name, parent, kind):
    """Create an organisation CODE under --parent."""
    path = _engine().create_organisation("system", code, name or code, parent=parent, kind=kind)
    click.echo(f"organisation {code} {path}")


@click.command("create-user")
@click.argument("name")
@click.option("--org", "orgs", multiple=True, required=True, help="Organisation code.")
@click.option("--role", "roles", multiple=True, required=True, help="Role held (a lane name, admin, auditor, process_owner).")
@click.option("--password", help="Initial password (default: a random one, printed).")
@click.option("--display-name", default="")
@clean_errors
def create_user(name, orgs, roles, password, display_name):
    """Create user NAME holding each --role in each --org."""
    import secrets
    password = password or secrets.token_urlsafe(12)
    _engine().create_user("system", name, password, display_name,
                          [(org, role) for org in orgs for role in roles])
    click.echo(f"user {name} password {password}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--user", default="system", show_default=True)
@click.option("--key", help="Process key (default: the primary process id); one model only.")
@click.option("--strict", is_flag=True, default=None,
              help="Refuse what compatibility mode only warns about (as \"strict\": true in "
                   "process_model.json).")
@clean_errors
def deploy(paths, user, key, strict):
    """Deploy BPMN/DMN files; a folder is one model (SpiffArena's process-model folder: its
    forms and process_model.json go with it), a loose file a model by itself."""
    engine = _engine()
    models = collect(paths)
    if key and len(models) != 1:
        raise click.UsageError("--key needs exactly one model")
    for model in models:
        process_key, version, created, warnings, result = engine.deploy_result(
            model.files, user, key=key, strict=strict or None, category=model.category)
        verdict = "deployed" if created else "unchanged"
        click.echo(f"{verdict} {process_key} v{version} ({model.label})")
        for line in [*map(str, warnings), *result.resolution.lines()]:
            click.echo(f"  {line}")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@clean_errors
def validate(paths):
    """Validate BPMN/DMN files; exit status 1 if any has an error."""
    engine = _engine()
    failed = False
    for model in collect(paths):
        problems, resolution = engine.check_model(model.files)
        for line in resolution.lines():
            click.echo(f"{model.label}: {line}")
        for name in sorted(n for n in model.files if not n.endswith(".json")):
            mine = [p for p in problems if p.file == name]
            errors = sum(p.severity == "error" for p in mine)
            failed |= errors > 0
            verdict = "INVALID" if errors else "ok"
            click.echo(f"{verdict} {model.label if len(model.files) == 1 else name}"
                       f" ({errors} error(s), {len(mine) - errors} warning(s))")
            for problem in mine:
                click.echo(f"  {problem}")
        for problem in (p for p in problems if p.file not in model.files):
            failed |= problem.severity == "error"
            click.echo(f"  {problem}")
    sys.exit(1 if failed else 0)


@click.command()
@click.argument("key")
@click.option("--data", callback=json_object, help="Initial data (JSON object).")
@click.option("--user", default="system", show_default=True)
@click.option("--org", help="Organisation the case belongs to (default: the user's).")
@click.option("--business-key")
@click.option("--version", type=int, help="Process version (default: latest).")
@clean_errors
def start(key, data, user, org, business_key, version):
    """Start a case of process KEY; prints the case id."""
    started = _engine().start_case(key, user, data, organisation=org,
                                   business_key=business_key, version=version)
    click.echo(started.case_id)


@click.command()
@click.option("--case", "case_id", type=int)
@click.option("--user", default="system", show_default=True)
@clean_errors
def tasks(case_id, user):
    """List open tasks (id, case, element, lane, name, due)."""
    for task in _engine().tasks(user, case_id=case_id):
        due = task.due_at.isoformat() if task.due_at else "-"
        click.echo(f"{task.id}\tcase={task.case_id}\t{task.element_id}\tlane={task.lane or '-'}"
                   f"\t{task.name}\tdue={due}\tassignee={task.assignee or '-'}")


@click.command()
@click.argument("task_id")
@click.option("--data", callback=json_object, default="{}")
@click.option("--user", required=True)
@clean_errors
def complete(task_id, data, user):
    """Complete task TASK_ID with --data as --user."""
    done = _engine().complete_task(task_id, user, data)
    click.echo(f"case {done.case_id} {done.status}; new tasks: {' '.join(done.tasks) or '-'}")


@click.group()
def bench():
    """Benchmarks that print their figures."""


@bench.command("engine")
@click.option("--n", default=300, show_default=True, help="Instances per run.")
@click.option("--db", "db_url", help="Database URL (default: a fresh SQLite file).")
def bench_engine(n, db_url):
    """Engine vs bare SpiffWorkflow with a JSON round trip per step."""
    from engine.bench.engine_bench import run_engine_bench
    run_engine_bench(n, db_url, click.echo)



@bench.command("scripts")
@click.option("--n", default=2000, show_default=True, help="Calls per figure.")
def bench_scripts(n):
    """A script and a condition in a worker process vs in the server's own process."""
    from engine.bench.scripts_bench import run_scripts_bench
    run_scripts_bench(n, click.echo)
