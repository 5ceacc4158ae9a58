"""The engine's clock, injectable so tests and campaign rehearsals can move time.

SpiffWorkflow's timer module reads `datetime.now(timezone.utc)` directly; `install` points
that module's `datetime` at a subclass whose `now()` asks the active clock, and replaces
the local offset the module froze at import time with the configured time zone.
"""
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer


class Clock:
    """The real time, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep_until(self, moment: datetime, stop: threading.Event) -> None:
        stop.wait(max(0.0, (moment - self.now()).total_seconds()))


class ManualClock(Clock):
    """A clock that only moves when told: for tests and rehearsals."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(timezone.utc)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def sleep_until(self, moment: datetime, stop: threading.Event) -> None:
        stop.wait(0.01)


_active: Clock = Clock()


class _ClockDatetime(datetime):
    """`datetime` as SpiffWorkflow's timer module sees it: `now()` is the engine's clock."""

    @classmethod
    def now(cls, tz=None):
        moment = _active.now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


def install(clock: Clock, time_zone: str = "Asia/Shanghai") -> None:
    """Make `clock` the time SpiffWorkflow's timers see, and read naive timer dates in
    `time_zone` (SpiffWorkflow otherwise uses the host's offset frozen at import)."""
    global _active
    _active = clock
    spiff_timer.datetime = _ClockDatetime
    spiff_timer.LOCALTZ = ZoneInfo(time_zone)


def active() -> Clock:
    return _active
