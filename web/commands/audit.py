"""Auditors: verify-audit, exports, the query benchmark."""


def register(main):
    """Add this area's commands to `main`."""
