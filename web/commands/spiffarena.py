"""SpiffArena's process-model trees: `liandong import-spiffarena DIR`."""
import sys

import click

from engine.errors import LiandongError
from engine.models.calls import in_dependency_order
from engine.models.files import collect

from .common import clean_errors, engine_from_env


def register(main):
    main.add_command(import_spiffarena)


@click.command("import-spiffarena")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--user", default="system", show_default=True)
@click.option("--strict", is_flag=True, help="Refuse what compatibility mode only warns about.")
@clean_errors
def import_spiffarena(directory, user, strict):
    """Deploy every process model of a SpiffArena tree (process groups become categories),
    callees before their callers; print each model's verdict; exit 1 if any was refused."""
    engine = engine_from_env()
    try:
        outcome = import_tree(engine, directory, user, strict or None, click.echo)
    finally:
        engine.close()
    click.echo(f"{outcome['deployed']} deployed ({outcome['warned']} with warnings), "
               f"{outcome['unchanged']} unchanged, {outcome['refused']} refused")
    sys.exit(1 if outcome["refused"] else 0)


def import_tree(engine, directory, user="system", strict=None, echo=print) -> dict:
    """Deploy the tree's models; a count of each verdict."""
    counts = {"deployed": 0, "warned": 0, "unchanged": 0, "refused": 0}
    for model in in_dependency_order(collect([directory])):
        try:
            key, version, created, warnings, result = engine.deploy_result(
                model.files, user, strict=strict, category=model.category)
        except LiandongError as err:
            counts["refused"] += 1
            echo(f"refused {model.label}: {err}")
            for problem in getattr(err, "problems", [])[:5]:
                echo(f"  {problem}")
            continue
        counts["deployed" if created else "unchanged"] += 1
        counts["warned"] += bool(created and warnings)
        verdict = ("deployed with warnings" if warnings else "deployed") if created else "unchanged"
        echo(f"{verdict} {key} v{version} ({model.label})")
        for line in [*map(str, warnings), *result.resolution.lines()]:
            echo(f"  {line}")
    return counts
