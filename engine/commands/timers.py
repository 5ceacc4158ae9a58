"""Firing due timers: exactly once, on time, from any number of scheduler nodes.

A tick first *claims* due rows in a short transaction of its own (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so two nodes never claim the same row at the same moment), then
fires each claimed row in its own transaction: lock the case, re-read the row under that
lock and fire only if it is still pending and still claimed by this node. A node killed
mid-fire leaves its claim behind with its transaction rolled back; once the claim is older
than the lease, any node claims and fires the row again. So a timer fires at least once
(the lease) and at most once (the status check under the case lock).

A fire that fails (a script error after the timer, say) is rolled back and retried with
exponential backoff; after `Settings.timer_retries` tries the row becomes `failed` with an
incident for the admins, and `retry_incident` puts it back once the cause is fixed.
"""
import logging
import os
import time
from dataclasses import astuple, dataclass, replace
from datetime import timedelta
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from engine.runtime import values, workflow as runtime
from engine.commands import links, start_timers
from engine.case import audit
from engine.case.failures import engine_errors
from engine.case.opened import open_case
from engine.case.rows import lock_case
from engine.errors import Conflict, Forbidden, LiandongError, NotFound
from engine.ops import metrics
from engine.people import notifications
from engine.storage import Incident, Timer

log = logging.getLogger(__name__)

#: Rows one node claims at a time: small, so that several nodes share a burst of due timers.
CLAIM_BATCH = 20
#: Test hook: seconds to sleep inside the fire transaction, after the case is locked.
SLOW_FIRE_ENV = "LIANDONG_TEST_SLOW_FIRE"

FIRED, SKIPPED, FAILED = "fired", "skipped", "failed"


@dataclass(frozen=True)
class TickResult:
    claimed: int
    fired: int
    failed: int
    skipped: int
    emailed: int = 0

    def __add__(self, other: "TickResult") -> "TickResult":
        return TickResult(*(a + b for a, b in zip(astuple(self), astuple(other))))


def _lease(engine) -> timedelta:
    return timedelta(seconds=engine.settings.timer_lease_seconds)


def due_clause(now, lease):
    """Pending rows that are due, past their backoff, and not claimed by a live node."""
    return and_(Timer.status == "pending", Timer.due_at <= now,
                or_(Timer.retry_at.is_(None), Timer.retry_at <= now),
                or_(Timer.claimed_at.is_(None), Timer.claimed_at < now - lease))


def claim_due(engine, node: str, limit: int = CLAIM_BATCH) -> list[int]:
    """Claim up to `limit` due timers for `node`, in a transaction of their own."""
    now = engine.now()
    with engine.db.transaction() as session:
        ids = list(session.scalars(
            select(Timer.id).where(due_clause(now, _lease(engine)))
            .order_by(Timer.due_at, Timer.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if ids:
            session.execute(update(Timer).where(Timer.id.in_(ids))
                            .values(claimed_by=node, claimed_at=now))
        return ids


def release_claims(engine, node: str, ids=None) -> int:
    """Give back the pending timers `node` holds (all of them, or those in `ids`), so that
    any node may fire them at once instead of after the lease. Returns how many."""
    query = update(Timer).where(Timer.claimed_by == node, Timer.status == "pending")
    if ids is not None:
        if not ids:
            return 0
        query = query.where(Timer.id.in_(list(ids)))
    with engine.db.transaction() as session:
        return session.execute(query.values(claimed_by=None, claimed_at=None)).rowcount


def tick(engine, node: str, limit: int = CLAIM_BATCH, stop=None) -> TickResult:
    """One pass: claim what is due and fire each claimed timer. When `stop` (an Event) is
    set, the timer in hand is finished and the other claims are given back."""
    ids = claim_due(engine, node, limit)
    counts = {FIRED: 0, SKIPPED: 0, FAILED: 0}
    for done, timer_id in enumerate(ids):
        if stop is not None and stop.is_set():
            released = release_claims(engine, node, ids[done:])
            log.info("%s stopping: released %s claimed timer(s)", node, released)
            break
        counts[fire(engine, timer_id, node)] += 1
    return TickResult(len(ids), counts[FIRED], counts[FAILED], counts[SKIPPED])


def fire_due(engine, node: str = "local", stop=None) -> TickResult:
    """The one timer loop, of the scheduler's ticks and `Engine.fire_due_timers` alike.

    Passes go on at once while a pass claimed a full batch and fired (or failed) something:
    a short batch means nothing else was due, and a batch of skips would only claim the
    same rows again. Then the messages the firings sent between linked cases are
    delivered, and the reminders mailed (when SMTP is configured).
    """
    total = TickResult(0, 0, 0, 0)
    while not (stop is not None and stop.is_set()):
        result = tick(engine, node, stop=stop)
        total += result
        if result.claimed < CLAIM_BATCH or result.fired + result.failed == 0:
            break
    if total.fired:
        links.deliver_messages(engine)  # a child a timer completed tells its parent
    return replace(total, emailed=notifications.deliver_email(engine))


def fire(engine, timer_id: int, node: str) -> str:
    """Fire one claimed timer in its own transaction; returns fired, skipped or failed."""
    try:
        with engine_errors(engine) as note, engine.db.transaction() as session:
            row = session.get(Timer, timer_id)
            if row is None:
                return SKIPPED
            due_at, case_id = row.due_at, row.case_id
            if row.case_id is None:
                row = lock_claimed(session, timer_id, node)
                if row is None:
                    return SKIPPED
                start_timers.fire_start_timer(engine, session, row, node)
                outcome = FIRED
            else:
                note.case_id = row.case_id
                outcome = _fire_case_timer(engine, session, row.case_id, timer_id, node)
    except LiandongError as err:
        _record_failure(engine, timer_id, node, str(err), getattr(err, "element_id", None))
        return FAILED
    if outcome == FIRED:
        late = (engine.now() - due_at).total_seconds()
        metrics.timer_fired(late)
        log.debug("timer %s fired on %s, %.1fs after it fell due", timer_id, node, late,
                  extra={"case_id": case_id, "timer_id": timer_id, "node": node})
    return outcome


def lock_claimed(session: Session, timer_id: int, node: str) -> Timer | None:
    """The timer row, locked and re-read, if it is still pending and claimed by `node`."""
    row = session.execute(select(Timer).where(Timer.id == timer_id).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None or row.status != "pending" or row.claimed_by != node:
        return None
    return row


def _fire_case_timer(engine, session: Session, case_id: int, timer_id: int, node: str) -> str:
    """Fire the claimed timer, and with it every other timer of the case already due.

    The engine fires all due timers of a workflow in one pass; `OpenCase` marks each one's
    row, records its `timer_fired` event and writes its reminders (engine.case.fired_timers),
    whichever was claimed. A cycle that came round several times while nobody ticked
    reminds once.
    """
    with open_case(engine, session, case_id, engine.system_actor) as opened:
        row = lock_claimed(session, timer_id, node)
        if row is None:
            return SKIPPED
        slow = os.environ.get(SLOW_FIRE_ENV)
        if slow:
            time.sleep(float(slow))
        now = engine.now()
        if opened.case.status != "running":
            # A suspended case keeps its timers; resuming runs whatever fell due meanwhile.
            row.claimed_by, row.claimed_at, row.retry_at = None, None, now + _lease(engine)
            return SKIPPED
        task = opened.workflow.get_task_from_id(UUID(row.task_id)) if row.task_id else None
        due_at = runtime.timer_due(task) if task is not None else None
        if due_at is None:
            row.status = "cancelled"  # the workflow no longer waits on it
            return SKIPPED
        if due_at > now:
            row.claimed_by = row.claimed_at = None  # not due for the engine yet
            return SKIPPED
        opened.advance()
        if not opened.fired_task(task):
            row.claimed_by = row.claimed_at = None
            return SKIPPED
        opened.save()
        opened.record_fired_timers(node)
        return FIRED


def _record_failure(engine, timer_id: int, node: str, message: str, element_id=None) -> None:
    """Count a failed attempt: back off and retry, or give up with an incident."""
    with engine.db.transaction() as session:
        row = lock_claimed(session, timer_id, node)
        if row is None:
            return
        now = engine.now()
        row.attempts += 1
        row.last_error = message[:4000]
        row.claimed_by = row.claimed_at = None
        if row.attempts < engine.settings.timer_retries:
            backoff = engine.settings.timer_backoff_seconds * 2 ** (row.attempts - 1)
            row.retry_at = now + timedelta(seconds=backoff)
            log.info("timer %s failed (attempt %s), retry at %s", row.id, row.attempts, row.retry_at)
            return
        row.status, row.retry_at = "failed", None
        session.add(Incident(case_id=row.case_id, timer_id=row.id,
                             element_id=element_id or row.element_id, kind="timer",
                             message=message[:4000], created_at=now,
                             details={"attempts": row.attempts, "timer": row.element_id,
                                      "due_at": row.due_at.isoformat()}))
        log.warning("timer %s failed %s times: incident opened", row.id, row.attempts)


def retry_incident(engine, actor, incident_id: int, data: dict | None = None,
                   reason: dict | None = None) -> str:
    """Put an incident's timer back to pending and fire it now; `data` (optional) is merged
    into the waiting task's data first, for a fix that is a missing or wrong value.
    `reason` (the operator's comment and the incident) goes on the case's trail as
    `incident_retried` in the same transaction, so a refused retry leaves no event."""
    if not actor.has_role("admin"):
        raise Forbidden(f"'{actor.username}' may not retry incidents.")
    if data:
        values.check_data(data, engine.settings)
    node = f"retry-{incident_id}"
    with engine.db.transaction() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"Incident {incident_id} does not exist.")
        if incident.resolved_at is not None:
            raise Conflict(f"Incident {incident_id} was already resolved by "
                           f"{incident.resolved_by}.")
        row = session.get(Timer, incident.timer_id) if incident.timer_id else None
        if row is None or row.status != "failed":
            raise Conflict(f"Incident {incident_id} has no failed timer to retry.")
        if data and row.case_id is not None:
            _patch_waiting_data(engine, session, row, actor, data)
        if reason is not None and incident.case_id is not None:
            case = lock_case(session, incident.case_id)
            audit.append(session, case, "incident_retried", actor, engine.now(), incident.element_id,
                         detail={**reason, "error": incident.message[:500]})
        row.status, row.attempts, row.retry_at, row.last_error = "pending", 0, None, None
        row.claimed_by, row.claimed_at = node, engine.now()
        incident.resolved_at, incident.resolved_by = engine.now(), actor.username
    outcome = fire(engine, row.id, node)
    if outcome == FAILED:
        with engine.db.read() as session:
            error = session.get(Timer, row.id).last_error
        return f"{FAILED}: {error}"
    return outcome


def _patch_waiting_data(engine, session, row: Timer, actor, data: dict) -> None:
    with open_case(engine, session, row.case_id, actor) as opened:
        task = opened.workflow.get_task_from_id(UUID(row.task_id))
        if task is None:
            raise Conflict(f"Case {row.case_id} no longer waits on timer '{row.element_id}'.")
        task.data.update(data)
        opened.save()
        opened.record("incident_data_fixed", row.element_id, row.task_id, data=data)


def pending_timers(session: Session, limit: int = 500) -> list[Timer]:
    return list(session.scalars(select(Timer).where(Timer.status.in_(("pending", "failed")))
                                .order_by(Timer.due_at, Timer.id).limit(limit)))


def open_incidents(session: Session, actor, include_resolved: bool = False) -> list[Incident]:
    """Incidents for admins (and auditors, who read everything)."""
    if not actor.reads_everything:
        raise Forbidden(f"'{actor.username}' may not list incidents.")
    query = select(Incident).order_by(Incident.created_at, Incident.id)
    if not include_resolved:
        query = query.where(Incident.resolved_at.is_(None))
    return list(session.scalars(query))
