"""The ticker: fires due timers every `Settings.tick_seconds`, with the one timer loop.

`liandong run` starts it as an APScheduler job in the background of the web process
(`start_background_ticker`); `liandong scheduler` runs it alone in the foreground until a
signal (`run_forever`), as many of them as wanted, on any hosts,
against one database. Nothing is kept in memory between ticks: the timers table is the
whole schedule, so a restart of any or all of them loses nothing.
"""
import logging
import os
import signal
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from engine.commands import timers
from engine.ops import checkpoints
from engine.ops.heartbeats import Heartbeat

log = logging.getLogger(__name__)
logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise

JOB_ID = "liandong-timers"


def default_node_id() -> str:
    """host:pid:random, unique per process so a restarted node never inherits old claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Ticker:
    """One node's loop body: the one timer loop (engine.commands.timers.fire_due), never
    letting an error end the node. Setting `stop` ends the tick in hand after its timer."""

    def __init__(self, engine, node_id: str | None = None):
        self.engine = engine
        self.node_id = node_id or default_node_id()
        self.fired = 0
        self.fired_now = 0
        self.stop = threading.Event()
        self.stopped_by = None  # the signal's name, once one came
        self._busy = threading.Lock()
        self.heartbeat = Heartbeat(engine, self.node_id)
        self.checkpointed = None  # time.monotonic() of this node's last audit checkpoint

    def __call__(self) -> None:
        if not self._busy.acquire(blocking=False):
            return  # the previous tick is still firing
        try:
            self.heartbeat(self.fired)
            self.fired_now = 0
            result = timers.fire_due(self.engine, self.node_id, self.stop)
            self.fired += result.fired
            self.fired_now = result.fired
        except Exception:
            log.exception("timer tick failed on %s", self.node_id)
        try:
            self._checkpoint()
        except Exception:
            log.exception("audit checkpoint failed on %s", self.node_id)
        finally:
            self._busy.release()


    def _checkpoint(self) -> None:
        """Every `audit_checkpoint_minutes`, sign the audit chains' heads (engine.ops.checkpoints)."""
        since = None if self.checkpointed is None else time.monotonic() - self.checkpointed
        if checkpoints.due(self.engine, since):
            self.checkpointed = time.monotonic()
            checkpoints.write(self.engine, reason="schedule")


def _add_job(scheduler, ticker: Ticker, seconds: float) -> None:
    scheduler.add_job(ticker, "interval", seconds=seconds, id=JOB_ID, max_instances=1,
                      coalesce=True, misfire_grace_time=None,
                      next_run_time=datetime.now(UTC))


def start_background_ticker(engine, tick_seconds: float | None = None,
                            node_id: str | None = None) -> BackgroundScheduler:
    """Tick inside this process (the web app); returns the scheduler, for `shutdown()`."""
    scheduler = BackgroundScheduler(timezone="UTC")
    ticker = Ticker(engine, node_id)
    seconds = tick_seconds or engine.settings.tick_seconds
    _add_job(scheduler, ticker, seconds)
    scheduler.start()
    log.info("timer ticker %s started (every %ss)", ticker.node_id, seconds)
    return scheduler


def run_forever(engine, tick_seconds: float | None = None, node_id: str | None = None) -> None:
    """Tick in the foreground until SIGTERM or SIGINT (`liandong scheduler`).

    A node that starts first gives back the claims still held under its id (it was killed,
    or stopped mid-tick): they fire now, not after the lease. A signal lets the timer in
    hand finish, gives back the node's other claims and returns, so a deploy or restart
    delays no timer by a lease.
    """
    ticker = Ticker(engine, node_id)
    seconds = tick_seconds or engine.settings.tick_seconds
    stale = timers.release_claims(engine, ticker.node_id)
    if stale:
        log.info("timer scheduler %s released %s claim(s) left by its last run", ticker.node_id, stale)
    previous = {sig: signal.signal(sig, lambda signum, _frame: _stop(ticker, signum))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("timer scheduler %s ticking every %ss", ticker.node_id, seconds)
    try:
        while not ticker.stop.is_set():
            began = time.monotonic()
            ticker()
            ticker.stop.wait(max(0.0, seconds - (time.monotonic() - began)))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        released = _release_quietly(engine, ticker.node_id)
        log.info("timer scheduler %s stopped on %s: %s fired, %s claim(s) released",
                 ticker.node_id, ticker.stopped_by or "an error", ticker.fired, released)


def _stop(ticker: Ticker, signum: int) -> None:
    """The signal handler: only flags, read between timers (logging here could deadlock)."""
    ticker.stopped_by = signal.Signals(signum).name
    ticker.stop.set()


def _release_quietly(engine, node: str) -> int:
    """Give back what the node still holds, on the way out; a failure is logged, the
    leases then free the claims as after a crash."""
    try:
        return timers.release_claims(engine, node)
    except Exception:
        log.exception("timer scheduler %s could not release its claims", node)
        return 0
