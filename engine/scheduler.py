"""The ticker: an APScheduler job that fires due timers every `Settings.tick_seconds`.

`liandong run` starts it in the background of the web process (`start_background_ticker`);
`liandong scheduler` runs it alone (`run_forever`), as many of them as wanted, on any hosts,
against one database. Nothing is kept in memory between ticks: the timers table is the
whole schedule, so a restart of any or all of them loses nothing.
"""
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from engine.commands import links, timers
from engine.ops.heartbeats import Heartbeat
from engine.people import notifications

log = logging.getLogger(__name__)
logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise

JOB_ID = "liandong-timers"


def default_node_id() -> str:
    """host:pid:random, unique per process so a restarted node never inherits old claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Ticker:
    """One node's loop body: claim, fire, mail. Never lets an error end the loop."""

    def __init__(self, engine, node_id: str | None = None):
        self.engine = engine
        self.node_id = node_id or default_node_id()
        self.fired = 0
        self.fired_now = 0
        self._busy = threading.Lock()
        self.heartbeat = Heartbeat(engine, self.node_id)

    def __call__(self) -> None:
        if not self._busy.acquire(blocking=False):
            return  # the previous tick is still firing
        try:
            self.heartbeat(self.fired)
            self.fired_now = 0
            while True:
                result = timers.tick(self.engine, self.node_id)
                self.fired += result.fired
                self.fired_now += result.fired
                if result.claimed < timers.CLAIM_BATCH:
                    break  # a full batch means more is due right now: go again at once
            if self.fired_now:
                links.deliver_messages(self.engine)  # a child a timer completed tells its parent
            notifications.deliver_email(self.engine)
        except Exception:
            log.exception("timer tick failed on %s", self.node_id)
        finally:
            self._busy.release()


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
    """Tick in the foreground until interrupted (`liandong scheduler`)."""
    scheduler = BlockingScheduler(timezone="UTC")
    ticker = Ticker(engine, node_id)
    seconds = tick_seconds or engine.settings.tick_seconds
    _add_job(scheduler, ticker, seconds)
    log.info("timer scheduler %s ticking every %ss", ticker.node_id, seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
