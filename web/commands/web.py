"""Serving the web app: run, tokens."""


def register(main):
    """Add this area's commands to `main`."""
