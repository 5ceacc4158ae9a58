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


class TrainingClock(Clock):
    """A training instance's clock: `base` moved forward by an offset every process reads
    from the database (`read_offset`, seconds), so web workers and schedulers agree.

    The offset is read at most every `ttl` seconds (the hot path asks the time often);
    the process that moves the clock sets it at once with `set_offset`.
    """

    def __init__(self, base: Clock, read_offset, ttl: float = 1.0, monotonic=None):
        import time
        self.base = base
        self._read = read_offset
        self._ttl = ttl
        self._monotonic = monotonic or time.monotonic
        self._offset = timedelta(0)
        self._read_at = None
        self._lock = threading.Lock()

    def offset(self) -> timedelta:
        with self._lock:
            stale = self._read_at is None or self._monotonic() - self._read_at >= self._ttl
        if stale:
            try:
                seconds = self._read()
            except Exception:  # the database away: keep the last offset known
                seconds = None
            with self._lock:
                if seconds is not None:
                    self._offset = timedelta(seconds=seconds)
                self._read_at = self._monotonic()
        with self._lock:
            return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = timedelta(seconds=seconds)
            self._read_at = self._monotonic()

    def now(self) -> datetime:
        return self.base.now() + self.offset()

    def sleep_until(self, moment: datetime, stop: threading.Event) -> None:
        self.base.sleep_until(moment - self.offset(), stop)
