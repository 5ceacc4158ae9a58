"""The campaign: import-orgs, setup-demo, rehearse."""


def register(main):
    """Add this area's commands to `main`."""
