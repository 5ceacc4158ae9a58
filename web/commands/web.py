"""Serving the web app: run, tokens."""
import importlib.util

import click

from .common import clean_errors, engine_from_env


def register(main):
    """Add this area's commands to `main`."""
    main.add_command(run)
    main.add_command(create_token)


@click.command("create-token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for (shown to admins).")
@click.option("--days", type=int, default=None,
              help="How many days it lasts (default: the api_token_days setting, 90).")
@clean_errors
def create_token(username, label, days):
    """Make an API bearer token for USERNAME; printed once, only its SHA-256 is stored.
    It expires after --days; its owner lists and revokes it on their account page."""
    engine = engine_from_env()
    try:
        token = engine.create_token("system", username, label, days)
    finally:
        engine.close()
    click.echo(token)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--training", is_flag=True, help="A training instance: admins may move its clock "
              "forward at /admin/clock (also LIANDONG_TRAINING=1). Never in production.")
@clean_errors
def run(host, port, training):
    """Serve the web app, with the timer ticker in the same process."""
    from werkzeug.serving import run_simple

    from web import create_app
    engine = engine_from_env(**({"training": True} if training else {}))
    app = create_app(engine=engine)
    if engine.settings.metrics_enabled and engine.settings.metrics_port:
        from engine.ops import metrics
        metrics.serve(engine, engine.settings.metrics_port)
    if importlib.util.find_spec("engine.scheduler") is not None:
        from engine import scheduler
        scheduler.start_background_ticker(engine)
    if engine.settings.training:
        click.echo("training instance: admins move the clock at /admin/clock")
    click.echo(f"Liandong 联动 on http://{host}:{port}/")
    run_simple(host, port, app, threaded=True, use_reloader=False)
