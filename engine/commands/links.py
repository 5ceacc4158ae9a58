"""Small cases, linked: a parent case starts child cases, and a child's completion reaches
its parent as a BPMN message.

How a process owner models it (no Python, only what bpmn-js edits):

* a script task calls `start_cases(process_key, items, key_field, message="child_completed")`
  — one child case of `process_key` per item (a dict: the child's initial data). The child
  belongs to the organisation whose code is `item[key_field]` (a province, a city); its
  business key is that code, or `item["business_key"]` when given. It returns the number
  of children requested. `start_case(process_key, item, key_field)` starts one.
* a child may call `notify_parent(message, payload)` at any point (an application, a
  progress report): the parent receives `message` with that payload. A case started on
  its own (no parent) records `message_not_sent` in its history instead, so a process
  owner can try a child model by itself.
* when a child completes, its parent receives `message` with the payload
  `{"case_id", "process_key", "business_key", "organisation", "result"}`, where `result`
  is the child's `result` variable (a dict the child sets before its end event), or its
  scalar variables when it sets none.
* the parent catches a message with an intermediate message catch event (or a receive
  task) whose `spiffworkflow:messageVariable` names the variable the payload lands in,
  typically in a loop "catch, count, gateway: all children back?".
* a message may have a correlation (a `bpmn:correlationProperty` whose retrieval expression
  reads the payload, e.g. `organisation`): the first one the case takes sets its value, and
  later ones are taken only when they match; the others stay pending (SpiffWorkflow's rule).

How the engine runs it: a helper (handed its task by the sandbox) only RECORDS the request
on the workflow. When the command saves the parent (`OpenCase.save` runs SAVE_HOOK, which
the Engine hands it; same transaction) the children are created through the same code path
as `engine.commands.start.start_case`, linked in `case_links`, with an audit event on both
sides; `opened.deliver` tells the command that messages wait. Messages go to the `case_messages` outbox in the sender's
transaction and are delivered by `deliver_messages` right after it commits, each in its
own transaction holding only the target's lock, so a child never waits on its parent's
lock. A message the target cannot catch yet (it is busy elsewhere in its flow) stays
pending and is tried again after the target's next command; nothing is lost.
"""
import logging

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from sqlalchemy import select

from engine.case import audit, fired_timers
from engine.case.failures import engine_errors
from engine.case.opened import SaveHook, open_case
from engine.commands.start import open_new_case
from engine.errors import LiandongError
from engine.models import deploy as deployment
from engine.people.identity import organisation_by_code
from engine.runtime import state as serialization
from engine.storage import Case, CaseLink, CaseMessage, Organisation

log = logging.getLogger(__name__)

#: Where helpers leave their requests on the top workflow until the case is saved.
REQUESTS = "_liandong_links"
DEFAULT_MESSAGE = "child_completed"
MAX_CHILDREN = 1000
MAX_ATTEMPTS = 3


# -- script helpers (run inside the sandbox) --------------------------------------------------
# The sandbox calls each with the task whose script is running (ScriptEngine(task_helpers=)).

def _requests(task):
    if task is None:
        raise ValueError("start_cases() and notify_parent() work only inside a process script")
    return task.workflow.top_workflow.data.setdefault(REQUESTS, [])


def start_cases(task, process_key, items, key_field, message=DEFAULT_MESSAGE):
    """Request one child case of `process_key` per item; returns how many."""
    if not isinstance(process_key, str) or not process_key:
        raise ValueError("start_cases(): process_key must be a process key (text)")
    if not isinstance(message, str) or not message:
        raise ValueError("start_cases(): message must be a message name (text)")
    items = list(items)
    if len(items) > MAX_CHILDREN:
        raise ValueError(f"start_cases(): at most {MAX_CHILDREN} children at once")
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise TypeError(f"start_cases(): item {number} is not a dict")
        if not item.get(key_field):
            raise ValueError(f"start_cases(): item {number} has no '{key_field}'")
    _requests(task).append({"kind": "start", "process_key": process_key, "key_field": key_field,
                            "message": message, "items": serialization.dump_value(items)})
    return len(items)


def start_case(task, process_key, item, key_field, message=DEFAULT_MESSAGE):
    return start_cases(task, process_key, [item], key_field, message)


def notify_parent(task, message, payload=None):
    """Send `message` with `payload` (a dict) to the case that started this one."""
    if not isinstance(message, str) or not message:
        raise ValueError("notify_parent(): message must be a message name (text)")
    if payload is not None and not isinstance(payload, dict):
        raise ValueError("notify_parent(): payload must be a dict")
    _requests(task).append({"kind": "notify", "message": message,
                            "payload": serialization.dump_value(payload or {})})
    return True


HELPERS = {"start_cases": start_cases, "start_case": start_case, "notify_parent": notify_parent}


# -- inside OpenCase.save (the Engine hands SAVE_HOOK to every OpenCase) ----------------------

def take_requests(opened) -> list:
    """Before the state is written: the helpers' requests, removed from the state."""
    return opened.workflow.data.pop(REQUESTS, [])


def after_save(opened, requests: list) -> None:
    """Create requested children and queue messages, in the command's transaction; note on
    `opened` whether messages wait to be delivered after it commits."""
    case = opened.case
    was_running = opened.status_before_save == "running"
    for request in requests:
        if request["kind"] == "start":
            _start_children(opened, request)
        elif case.parent_case_id is None:  # a case tried on its own: nobody to tell
            audit.append(opened.session, case, "message_not_sent", opened.actor, opened.engine.now(),
                         detail={"message": request["message"], "reason": "the case has no parent"})
        else:
            _queue(opened, case.parent_case_id, request["message"], request["payload"])
    if was_running and case.status == "completed" and case.parent_case_id is not None:
        link = opened.session.get(CaseLink, case.id)
        _queue(opened, case.parent_case_id, link.message if link else DEFAULT_MESSAGE,
               completion_payload(opened))
    if opened.bundle.catches_messages and _pending_for(opened.session, case.id):  # it may catch what waited for it
        opened.deliver = True


SAVE_HOOK = SaveHook(before=take_requests, after=after_save)


def _pending_for(session, case_id: int) -> bool:
    return session.execute(select(CaseMessage.id).where(
        CaseMessage.status == "pending", CaseMessage.target_case_id == case_id).limit(1)).first() is not None


def _start_children(opened, request) -> None:
    session, parent = opened.session, opened.case
    pv = deployment.version_to_start(session, request["process_key"], None)
    for item in request["items"]:
        code = str(item[request["key_field"]])
        org = organisation_by_code(session, code)
        business_key = str(item.get("business_key") or code)
        child = open_new_case(opened.engine, session, opened.actor, pv, dict(item), org,
                              business_key=business_key, parent_case_id=parent.id,
                              title=item.get("title"))
        opened.deliver = opened.deliver or child.deliver  # a child that sent a message at once
        session.add(CaseLink(child_case_id=child.case.id, parent_case_id=parent.id,
                             message=request["message"], item_key=business_key,
                             created_at=opened.engine.now()))
        audit.append(session, parent, "child_started", opened.actor, opened.engine.now(),
                     detail={"child_case_id": child.case.id, "process_key": pv.key,
                             "organisation": code, "business_key": business_key,
                             "reply": request["message"]})


def completion_payload(opened) -> dict:
    workflow, case = opened.workflow, opened.case
    last = workflow.last_task
    data = last.data if last is not None else workflow.data
    result = data.get("result")
    if not isinstance(result, dict):
        result = dict(case.facts or {})
    return {"case_id": case.id, "process_key": case.process_key,
            "business_key": case.business_key,
            "organisation": _organisation_code(opened.session, case.organisation_id),
            "result": serialization.dump_value(result)}


def _organisation_code(session, organisation_id):
    if organisation_id is None:
        return None
    return session.scalar(select(Organisation.code).where(Organisation.id == organisation_id))


def _queue(opened, target_id: int, name: str, payload: dict) -> None:
    opened.deliver = True
    now = opened.engine.now()
    opened.session.add(CaseMessage(target_case_id=target_id, source_case_id=opened.case.id,
                                   name=name, payload=payload, status="pending",
                                   created_at=now, attempts=0))
    audit.append(opened.session, opened.case, "message_sent", opened.actor, now,
                 detail={"to_case_id": target_id, "message": name})


# -- delivery, after the sender's transaction ---------------------------------------------------

def deliver_messages(engine, around=None) -> int:
    """Deliver pending messages; `around` limits it to those cases and their ancestors
    (what one command can have made deliverable). Returns how many were delivered."""
    targets = None if around is None else _with_ancestors(engine, set(around))
    delivered, progress = 0, True
    while progress:
        progress = False
        # A target whose earlier message another deliverer holds gets none of its later
        # ones from this pass: that deliverer goes on to them, in order, so a case receives
        # its messages in the order they were sent (a child's report before its "done").
        busy = set()
        for message_id, target in _pending(engine, targets):
            if target in busy:
                continue
            outcome = _deliver_one(engine, message_id)
            if outcome is TAKEN:
                busy.add(target)
            elif outcome:
                delivered += 1
                progress = True
                if targets is not None:
                    targets |= _with_ancestors(engine, {target})
    return delivered


#: `_deliver_one`'s answer when another deliverer holds (or just delivered) the message.
TAKEN = "taken"


def _pending(engine, targets):
    query = select(CaseMessage.id, CaseMessage.target_case_id).where(CaseMessage.status == "pending")
    if targets is not None:
        if not targets:
            return []
        query = query.where(CaseMessage.target_case_id.in_(sorted(targets)))
    with engine.db.read() as session:
        return list(session.execute(query.order_by(CaseMessage.id)))


def _with_ancestors(engine, ids: set) -> set:
    found, frontier = set(ids), set(ids)
    with engine.db.read() as session:
        while frontier:
            parents = set(session.scalars(select(Case.parent_case_id).where(
                Case.id.in_(sorted(frontier)), Case.parent_case_id.is_not(None))))
            frontier = parents - found
            found |= parents
    return found


def _deliver_one(engine, message_id: int):
    """True when delivered, False when kept for later, TAKEN when another deliverer has it."""
    try:
        with engine_errors(engine) as note, engine.db.transaction() as session:
            message = session.execute(select(CaseMessage).where(
                CaseMessage.id == message_id, CaseMessage.status == "pending")
                .with_for_update(skip_locked=True)).scalar_one_or_none()
            if message is None:
                return TAKEN
            note.case_id = message.target_case_id
            with open_case(engine, session, message.target_case_id, engine.system_actor) as opened:
                if opened.case.status in ("completed", "terminated"):
                    message.status, message.last_error = "undeliverable", f"case {opened.case.status}"
                    return False
                if opened.case.status != "running":
                    return False  # suspended: keep it for after the resume
                if fired_timers.overdue(opened):
                    return False  # a timer due before it fires first; its firing redelivers
                payload = dict(message.payload)
                event = BpmnEvent(MessageEventDefinition(message.name), payload=payload,
                                  correlations=_correlations(opened.workflow, message.name, payload))
                if opened.workflow.event_manager.catch(event, internal=False) == 0:
                    return False
                opened.advance()
                opened.save()
                opened.record("message_received", message=message.name,
                              from_case_id=message.source_case_id, payload=message.payload)
                message.status, message.delivered_at = "delivered", engine.now()
                return True
    except LiandongError as err:
        _note_failure(engine, message_id, str(err))
        log.warning("message %s could not be delivered: %s", message_id, err)
        return False


def _correlations(workflow, name: str, payload: dict) -> dict:
    """The message's correlation as the case's waiting catch of `name` computes it from the
    payload (its bpmn:correlationProperty retrieval expressions), as a thrown message would
    carry it: a case that has taken a correlated message then takes only matching ones. A
    payload the expression cannot read correlates with nothing that has a value."""
    for task in workflow.get_tasks(state=TaskState.WAITING):
        found = getattr(task.task_spec, "event_definition", None)
        # An event-based gateway waits on several at once (a MultipleEventDefinition).
        for definition in [found] + list(getattr(found, "event_definitions", None) or []):
            if isinstance(definition, MessageEventDefinition) and definition.name == name \
                    and definition.correlation_properties:
                try:
                    return definition.get_correlations(task, payload)
                except Exception:  # noqa: BLE001 - a model's expression: any error means "no match"
                    return {key: {} for prop in definition.correlation_properties
                            for key in prop.correlation_keys}
    return {}


def _note_failure(engine, message_id: int, error: str) -> None:
    with engine.db.transaction() as session:
        message = session.get(CaseMessage, message_id)
        if message is not None and message.status == "pending":
            message.attempts += 1
            message.last_error = error[:4000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
