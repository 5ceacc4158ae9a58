"""A training instance's clock: an administrator moves it forward to rehearse a campaign.

A campaign's first expert task is weeks after its deployment, so nobody could try the whole
story in a live demo. On a training instance (`Settings.training`, never in production) the
engine's clock is a `TrainingClock`: the real time plus an offset kept in the database
(`instance_clock`), read by every web worker and scheduler, so all of them see the same
simulated date. `move_clock` moves it forward, to a date or to the next waiting timer,
never backward, and is recorded on the identity trail (it changes what every case sees as
"now"); the Engine then fires what fell due.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine.errors import Forbidden, InvalidData
from engine.people import trail
from engine.people.admin import require_admin
from engine.storage import InstanceClock, Timer

NAME = "training"
#: How far past a timer's time "to the next timer" moves the clock.
PAST_DUE = timedelta(seconds=1)


def read_offset(db) -> float:
    """Seconds the training clock runs ahead of the real time (0 when never moved)."""
    with db.read() as session:
        return session.scalar(select(InstanceClock.offset_seconds)
                              .where(InstanceClock.name == NAME)) or 0.0


@dataclass(frozen=True)
class Moved:
    before: datetime
    after: datetime
    fired: int = 0


def require_training(engine) -> None:
    if not engine.settings.training:
        raise Forbidden("This is not a training instance: its clock follows the real time.")


def next_timer(session, after: datetime) -> datetime | None:
    """When the first timer waiting after `after` is due (None when none waits)."""
    return session.scalar(select(func.min(Timer.due_at))
                          .where(Timer.status == "pending", Timer.due_at > after))


def waiting_after(engine, moment: datetime) -> datetime | None:
    with engine.db.read() as session:
        return next_timer(session, moment)


def move_clock(engine, actor, to: datetime | None = None, to_next_timer: bool = False) -> Moved:
    """Move the training clock forward to `to` (timezone-aware), or to the next waiting
    timer; one transaction, on the identity trail. Refused on a production instance."""
    require_training(engine)
    require_admin(actor, "move the training clock")
    if to is None and not to_next_timer:
        raise InvalidData("Say where to move the clock: a date, or the next timer.",
                          {"to": ["Choose a date."]})
    if to is not None and to.tzinfo is None:
        raise InvalidData("The date needs a time zone.", {"to": ["The date needs a time zone."]})
    with engine.db.transaction() as session:
        row = session.scalar(select(InstanceClock).where(InstanceClock.name == NAME)
                             .with_for_update())
        if row is None:
            row = InstanceClock(name=NAME, offset_seconds=0.0)
            session.add(row)
        real = engine.clock.base.now()
        before = real + timedelta(seconds=row.offset_seconds or 0.0)
        if to_next_timer:
            due = next_timer(session, before)
            if due is None:
                raise InvalidData("No timer is waiting: there is nothing to move the clock to.",
                                  {"to": ["No timer is waiting."]})
            to = due + PAST_DUE  # SpiffWorkflow fires a timer once its time is past
        if to < before:
            raise InvalidData(f"The clock only moves forward: it is already {before.isoformat()}.",
                              {"to": ["The clock only moves forward."]})
        row.offset_seconds = (to - real).total_seconds()
        row.moved_at, row.moved_by = real, actor.username
        trail.record(session, actor, before, "clock_moved", NAME, before=before.isoformat(),
                     after=to.isoformat(), real_time=real.isoformat())
        offset = row.offset_seconds
    engine.clock.set_offset(offset)
    return Moved(before, to)
