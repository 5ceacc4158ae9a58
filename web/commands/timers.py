"""Timers: the scheduler, pending timers, incidents, the timer benchmark."""


def register(main):
    """Add this area's commands to `main`."""
