"""Process owners: diff and migrate versions."""


def register(main):
    """Add this area's commands to `main`."""
