"""The `liandong` command: one module per area, each adding its commands to `main`."""
import click

from . import audit, campaign, core, models, ops, spiffarena, timers, web

AREAS = (core, web, timers, audit, campaign, models, ops, spiffarena)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """Liandong (联动): BPMN process automation."""


for area in AREAS:
    area.register(main)
