"""What every `liandong` command shares: the engine from the environment, clean errors."""
import functools
import json
import sys

import click

from engine import Engine, LiandongError, Settings, Unavailable
from engine.ops.health import is_outage


def engine_from_env(clock=None, **overrides) -> Engine:
    """An Engine on the configured database, its schema brought up to date (zero set-up);
    `overrides` are settings that win over the environment and the file."""
    engine = Engine(Settings.from_env(**overrides), clock)
    context = click.get_current_context(silent=True)
    if context is not None:  # connections close when the command ends, not at exit
        context.call_on_close(engine.close)
    engine.upgrade_schema()
    return engine


def clean_errors(func):
    """Every engine error becomes one line on stderr and exit status 1, never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except LiandongError as err:
            click.echo(f"error: {err}", err=True)
            for field, messages in getattr(err, "field_errors", {}).items():
                click.echo(f"  {field}: {'; '.join(messages)}", err=True)
            for problem in getattr(err, "problems", []):
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except FileNotFoundError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(1)
        except Exception as err:
            if not is_outage(err):
                raise
            click.echo(f"error: {Unavailable()} ({str(err).splitlines()[0]})", err=True)
            sys.exit(1)
    return wrapper


def json_object(_ctx, _param, value):
    """A click callback: the option's text parsed as a JSON object."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"not valid JSON: {err.msg} at column {err.colno}") from None
    if not isinstance(parsed, dict):
        raise click.BadParameter("must be a JSON object, e.g. '{\"budget\": 1000}'")
    return parsed
