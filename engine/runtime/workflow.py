"""Running a case's workflow: create, load, advance, and read what it is waiting for.

Nothing here touches the database; engine.commands wraps these in one transaction.
"""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from engine.runtime import cycles
from engine.runtime import state as serialization
from engine.runtime.limits import lift_depth_limit

lift_depth_limit()
cycles.install()

#: A case that runs this many engine passes in one command is assumed to loop forever.
MAX_PASSES = 100


def new_workflow(bundle, script_engine, data: dict | None = None) -> BpmnWorkflow:
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=script_engine)
    if data:
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
    return workflow


def load(state: str, bundle, script_engine) -> BpmnWorkflow:
    workflow = serialization.load_state(state, bundle.spec, bundle.subprocess_specs)
    # SpiffWorkflow does not serialize the script engine: it must be set after every load.
    workflow.script_engine = script_engine  # subprocesses read it from the top workflow
    return workflow


def advance(workflow: BpmnWorkflow, cycle_limits: cycles.Limits | None = None) -> list[str]:
    """Run every engine step that can run now, including timers already due.

    A due timer only fires when its waiting task is refreshed, and firing may make more
    engine steps ready (and those may reach another due timer), so both repeat until the
    workflow stops changing. Returns the element ids completed, in order. `cycle_limits`
    (engine.runtime.cycles) bound the timer cycles for this command.
    """
    completed: list[str] = []
    if cycle_limits is not None:
        setattr(workflow, cycles.ATTRIBUTE, cycle_limits)

    def did_complete(task):
        if task.task_spec.bpmn_id:  # skip SpiffWorkflow's own bookkeeping specs
            completed.append(task.task_spec.bpmn_id)

    for _ in range(MAX_PASSES):
        before = len(completed)
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=did_complete)
        if len(completed) == before or not workflow.waiting_events():
            break
    return completed


def human_tasks(workflow: BpmnWorkflow):
    """The READY manual tasks, in creation order, the subprocesses' included.

    A scan of the task dictionaries: the same tasks as `get_tasks(state=READY, manual=True)`
    at a fifteenth of the cost of its tree walk, and every command asks twice.
    """
    return [task for wf in (workflow, *workflow.subprocesses.values()) for task in wf.tasks.values()
            if task.state == TaskState.READY and task.task_spec.manual]


def element_id(task) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    element_id: str
    kind: str
    expression: str
    due_at: datetime


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    """Every timer the workflow is waiting on, with its due time in UTC.

    A timer start event is left out: the host schedules those per deployed version (see
    engine.commands.timers) and a started case never waits on its own start event.
    """
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = timer_definition(task.task_spec)
        if definition is None or isinstance(task.task_spec, StartEvent):
            continue
        due = _due_time(task, definition)
        if due is not None:
            found.append(waiting_timer(task, due))
    return found


def timer_definition(task_spec):
    """The timer a task waits on: its own, or the one an event-based gateway (a multiple
    event) waits on beside its messages; None if it waits on no timer."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return definition
    return next((inner for inner in getattr(definition, "event_definitions", None) or ()
                 if isinstance(inner, TimerEventDefinition)), None)


def waiting_timer(task, due: datetime) -> WaitingTimer:
    definition = timer_definition(task.task_spec)
    return WaitingTimer(str(task.id), timer_element_id(task), _kind(definition),
                        definition.expression, due)


def timer_completed(task) -> bool:
    """Whether timer `task` completed by its timer: an event-based gateway completes by
    whichever of its events came, and took the timer's branch only if the timer did."""
    if task.state != TaskState.COMPLETED:
        return False
    spec = task.task_spec
    if not isinstance(spec, EventBasedGateway):
        return True
    definitions = spec.event_definition.event_definitions
    branch = spec.outputs[definitions.index(timer_definition(spec))]
    return any(child.task_spec is branch for child in task.children)


def timer_element_id(task) -> str:
    """The timer event's id: a gateway's timer is the event on the gateway's timer branch."""
    spec = task.task_spec
    definition = timer_definition(spec)
    for index, inner in enumerate(getattr(spec.event_definition, "event_definitions", None) or ()):
        if inner is definition:
            return spec.outputs[index].bpmn_id or element_id(task)
    return element_id(task)


def timer_due(task):
    """When the waiting timer `task` fires next (UTC), or None if it is not a waiting timer."""
    if task.state != TaskState.WAITING:
        return None
    return timer_next(task)


def timer_next(task):
    """When timer `task` was set to fire next, whatever its state: a cycle that fired and
    was then cancelled in the same step shows a later time (or None, its cycles spent)."""
    definition = timer_definition(task.task_spec)
    return _due_time(task, definition) if definition is not None else None


@dataclass(frozen=True)
class StartTimer:
    element_id: str
    kind: str
    expression: str
    due_at: datetime
    cycles: int | None  # a cycle's repetitions (-1: forever); None for a date or duration
    interval: timedelta | None


def start_timers(workflow: BpmnWorkflow, script_engine, now: datetime) -> list[StartTimer]:
    """The timer start events of a fresh, not yet stepped workflow, with their first due time.

    Read from the expression rather than by running the workflow: SpiffWorkflow would fire
    a cycle whose start lies in the past at once, inside the very instance it schedules.
    """
    found = []
    for task in _start_event_tasks(workflow):
        definition = task.task_spec.event_definition
        text = script_engine.evaluate(task, definition.expression)
        cycles = interval = None
        if isinstance(definition, CycleTimerEventDefinition):
            cycles, due, interval = TimerEventDefinition.parse_iso_recurring_interval(text)
            due = due.astimezone(UTC)
        elif isinstance(definition, DurationTimerEventDefinition):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            due = now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
        else:
            due = TimerEventDefinition.parse_time_or_duration(text)
            if not isinstance(due, datetime):
                raise TypeError(f"timer start event '{element_id(task)}': '{text}' is not a date")
        found.append(StartTimer(element_id(task), _kind(definition), definition.expression,
                                due, cycles, interval))
    return found


def fire_start_event(workflow: BpmnWorkflow, start_element: str) -> None:
    """Mark the timer start event `start_element` as fired, so the case runs from it now."""
    for task in _start_event_tasks(workflow):
        if element_id(task) != start_element:
            continue
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            # A cycle start event adds its outgoing path each time a cycle comes round (it
            # predicts no children): one last cycle, already due, makes it run once.
            task._set_internal_data(event_value={"cycles": 1, "duration": 0,
                                                 "next": "2000-01-01T00:00:00+00:00"})
        else:
            task._set_internal_data(event_fired=True)
        return
    raise ValueError(f"the process has no timer start event '{start_element}'")


def _start_event_tasks(workflow: BpmnWorkflow):
    return [task for task in workflow.get_tasks()
            if isinstance(task.task_spec, StartEvent)
            and isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)]


def _kind(definition) -> str:
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    return "date"


def _due_time(task, definition):
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if value.get("cycles", 0) == 0:
            return None
        return datetime.fromisoformat(value["next"]).astimezone(timezone.utc)
    if isinstance(definition, TimeDateEventDefinition):
        parsed = TimerEventDefinition.parse_time_or_duration(value)
        return parsed if isinstance(parsed, datetime) else None
    return TimerEventDefinition.get_datetime(value)


def boundary_due(task):
    """The earliest timer on the task's boundary: the deadline the task answers to."""
    parent = task.parent
    dues = []
    for sibling in (parent.children if parent is not None else ()):
        definition = getattr(sibling.task_spec, "event_definition", None)
        if sibling is not task and isinstance(definition, TimerEventDefinition) \
                and sibling.state == TaskState.WAITING:
            due = _due_time(sibling, definition)
            if due is not None:
                dues.append(due)
    return min(dues) if dues else None
