"""What an operator does about incidents and timers, by hand, each with a reason kept in
the case's history.

An incident is either a timer out of retries (an `incidents` row, engine.commands.timers)
or a case whose step failed in a script (the case's `last_error`, engine.case.failures).
Both are named by a key: `timer-<incident id>` or `case-<case id>`. Retrying a timer
incident puts its timer back and fires it; retrying a case's failure completes the failed
task again (engine.commands.repair). Resolving accepts an incident without retrying: the
comment says why. `fire_timer_now` fires a waiting timer before its time.
"""
from datetime import timedelta
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition

from engine.case import audit
from engine.case.failures import engine_errors
from engine.case.opened import open_case
from engine.case.rows import lock_case
from engine.commands import links, repair, timers
from engine.commands.lifecycle import require_operator, require_reason
from engine.errors import Conflict, InvalidData, LiandongError, NotFound
from engine.runtime import workflow as runtime
from engine.storage import Case, Incident, Timer
from engine.reading import operations


def parse_key(key: str) -> tuple[str, int]:
    """('timer', incident id) or ('case', case id) from an incident key."""
    kind, _, number = str(key).partition("-")
    if kind not in ("timer", "case") or not number.isdigit():
        raise InvalidData(f"'{key}' does not name an incident.", {"incident": ["unknown"]})
    return kind, int(number)


def _audit(session, engine, case_id, kind, actor, element_id=None, task_id=None, **detail):
    case = lock_case(session, case_id)
    audit.append(session, case, kind, actor, engine.now(), element_id, task_id, detail=detail)
    return case


def retry_incident(engine, actor, key: str, comment: str) -> str:
    """Retry one incident; returns the outcome ('fired', 'completed', or 'failed: ...')."""
    comment = require_reason(comment)
    kind, number = parse_key(key)
    actor = engine.actor(actor)
    require_operator(actor, "retry incidents")
    if kind == "case":
        done = repair.retry_case(engine, actor, number, comment)
        return done.status if hasattr(done, "status") else "completed"
    # one transaction: the timer back to pending, the incident closed, the event on the trail
    return timers.retry_incident(engine, actor, number, reason={"incident": key, "reason": comment})


def retry_incidents(engine, actor, keys, comment: str) -> dict:
    """Retry several incidents, each its own command: {key: outcome or the error}."""
    comment = require_reason(comment)
    require_operator(engine.actor(actor), "retry incidents")
    if not keys:
        raise InvalidData("Choose at least one incident.", {"incident": ["none chosen"]})
    outcomes = {}
    for key in keys:
        try:
            outcomes[key] = retry_incident(engine, actor, key, comment)
        except LiandongError as err:
            outcomes[key] = f"failed: {err}"
    return outcomes


def resolve_incident(engine, actor, key: str, comment: str) -> None:
    """Close an incident without retrying it (the comment says why)."""
    comment = require_reason(comment)
    kind, number = parse_key(key)
    with engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        require_operator(actor, "resolve incidents")
        if kind == "case":
            case = session.get(Case, number)
            if case is None:
                raise NotFound(f"Case {number} does not exist.")
            if not case.last_error:
                raise Conflict(f"Case {number} has no error to resolve.")
            case = lock_case(session, number)
            error, element = case.last_error, case.last_error_element
            case.last_error = case.last_error_element = None
            audit.append(session, case, "incident_resolved", actor, engine.now(), element,
                         detail={"incident": key, "reason": comment, "error": error[:500]})
            return
        incident = session.get(Incident, number)
        if incident is None:
            raise NotFound(f"Incident {key} does not exist.")
        if incident.resolved_at is not None:
            raise Conflict(f"Incident {key} was already resolved by {incident.resolved_by}.")
        incident.resolved_at, incident.resolved_by = engine.now(), actor.username
        incident.details = {**(incident.details or {}), "resolution": comment}
        if incident.case_id is not None:
            _audit(session, engine, incident.case_id, "incident_resolved", actor, incident.element_id,
                   incident=key, reason=comment, error=incident.message[:500])


def fire_timer_now(engine, actor, timer_id: int, reason: str) -> None:
    """Fire a waiting timer of a running case now, before its time, as if it fell due."""
    reason = require_reason(reason)
    node = None
    with engine_errors(engine) as note, engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        require_operator(actor, "fire timers")
        node = f"manual:{actor.username}"
        row = session.get(Timer, timer_id)
        if row is None or row.case_id is None:
            raise NotFound(f"Timer {timer_id} does not exist or belongs to no case.")
        note.case_id = row.case_id
        with open_case(engine, session, row.case_id, actor) as opened:
            row = timers.lock_claimed(session, timer_id, row.claimed_by)
            if row is None or row.status != "pending":
                raise Conflict(f"Timer {timer_id} is no longer waiting.")
            if opened.case.status != "running":
                raise Conflict(f"Case {row.case_id} is {opened.case.status}; resume it first.")
            task = opened.workflow.get_task_from_id(UUID(row.task_id)) if row.task_id else None
            if task is None or runtime.timer_due(task) is None:
                raise Conflict(f"Case {row.case_id} no longer waits on timer '{row.element_id}'.")
            _make_due(task, engine.now())
            row.claimed_by, row.claimed_at = node, engine.now()
            opened.advance()
            if not opened.fired_task(task):
                raise Conflict(f"Timer '{row.element_id}' could not fire now.")
            was_due = row.due_at
            opened.save()
            opened.record_fired_timers(node)
            row.due_at = was_due  # the row keeps when it was due; it fired early, by hand
            was_due = was_due.isoformat()
            opened.record("timer_fired_now", row.element_id, row.task_id, timer_id=timer_id,
                          was_due=was_due, reason=reason)
            note.case_id = None
    links.deliver_messages(engine, around=[row.case_id])


def _make_due(task, now) -> None:
    """Set the timer task's own time to just before now (SpiffWorkflow fires on `<`)."""
    at = (now - timedelta(milliseconds=1)).isoformat()
    if isinstance(runtime.timer_definition(task.task_spec), CycleTimerEventDefinition):
        value = dict(task._get_internal_data("event_value"))
        value["next"] = at
        task._set_internal_data(event_value=value)
    else:
        task._set_internal_data(event_value=at)


# -- the operators' lists, with each element's name ----------------------------------------

def incident_page(engine, user, case_id, filters: dict):
    with engine.db.read() as session:
        found = operations.incidents(session, engine.actors.resolve(session, user),
                                     operations.Filters(**filters), case_id=case_id)
        found.names = {row.key: element_name(engine.specs.get(session, row.process_version_id), row.element_id)
                       for row in found.rows if row.process_version_id and row.element_id}
    return found


def timer_page(engine, user, view: str, filters: dict):
    with engine.db.read() as session:
        found = operations.timers(session, engine.actors.resolve(session, user), engine.now(), view,
                                  operations.Filters(**filters))
        found.names = {row.id: element_name(engine.specs.get(session, row.process_version_id), row.element_id)
                       for row in found.rows}
    return found


def element_name(spec, element_id: str) -> str:
    for process in (spec.spec, *spec.subprocess_specs.values()):
        task_spec = process.task_specs.get(element_id)
        if task_spec is not None:
            return task_spec.bpmn_name or element_id
    return element_id
