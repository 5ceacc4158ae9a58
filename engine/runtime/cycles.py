"""Timer cycles (`R3/PT1H`) within bounds.

SpiffWorkflow fires a cycle once for every refresh whose due time has passed, so a cycle of
`R2000/PT0S`, or one that fell far behind (`R100000/PT1M` after a week), fires again and
again inside one command, holding the case's lock (and SQLite's write lock) throughout.
Here:

- deploy refuses a cycle literal whose interval is under `timer_cycle_min_seconds` or whose
  count is above `timer_cycle_max_count` (`cycle_error`, used by the lint); unbounded
  repetition (`R/PT1H`, SpiffArena writes it) is allowed with an interval at the minimum;
- a cycle computed by an expression is held to the same limits when it is first evaluated;
- one command fires one cycle timer at most `timer_cycle_fires_per_command` times
  (`Limits.fires`): what is left stays due, and the scheduler's next tick fires it.

`install()` puts the checks into SpiffWorkflow's CycleTimerEventDefinition once, at import
of engine.runtime.workflow; a workflow without `cycle_limits` (bare SpiffWorkflow, as the
benchmark's baseline runs it) behaves as SpiffWorkflow does.
"""
from dataclasses import dataclass, field
from datetime import timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)

ATTRIBUTE = "cycle_limits"


@dataclass
class Limits:
    min_seconds: float = 60.0
    max_count: int = 10_000
    fires: int = 10
    fired: dict = field(default_factory=dict)  # task id -> times fired in this command

    @classmethod
    def of(cls, settings) -> "Limits":
        return cls(settings.timer_cycle_min_seconds, settings.timer_cycle_max_count,
                   settings.timer_cycle_fires_per_command)


def describe(cycles: int, interval: timedelta, limits: Limits) -> str | None:
    """Why a cycle of `cycles` repetitions (-1: unbounded) every `interval` is refused."""
    if interval.total_seconds() < limits.min_seconds:
        return (f'the interval {interval.total_seconds():g} s is shorter than the minimum of '
                f'{limits.min_seconds:g} s between repetitions')
    if cycles > limits.max_count:
        return f'{cycles:,} repetitions are more than the limit of {limits.max_count:,}'
    return None


def cycle_error(text: str, limits: Limits) -> str | None:
    """Why the ISO cycle `text` is refused, or None (None too when it does not parse: the
    lint's ISO check says that)."""
    try:
        cycles, _start, interval = TimerEventDefinition.parse_iso_recurring_interval(text.strip())
    except Exception:  # noqa: BLE001 - SpiffWorkflow's parser raises bare Exception
        return None
    return describe(cycles, interval, limits)


def _cycle_complete(self, my_task):
    """SpiffWorkflow's cycle_complete, with the limits of the workflow's command."""
    limits = getattr(my_task.workflow.top_workflow, ATTRIBUTE, None)
    event_value = my_task._get_internal_data('event_value')
    if event_value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        reason = describe(cycles, duration, limits) if limits is not None else None
        if reason:
            raise ValueError(f"timer cycle '{expression}' refused: {reason}")
        event_value = {'cycles': cycles, 'next': start.isoformat(), 'duration': duration.total_seconds()}
    ready = False
    if event_value['cycles'] != 0:
        now = spiff_timer.datetime.now(timezone.utc)  # the engine's clock (engine.clock.install)
        next_event = spiff_timer.datetime.fromisoformat(event_value['next'])
        if next_event < now and _may_fire(limits, my_task):
            event_value['next'] = (next_event + timedelta(seconds=event_value['duration'])).isoformat()
            event_value['cycles'] -= 1
            ready = True
    else:
        my_task.internal_data.pop('event_value', None)
        my_task.internal_data['event_fired'] = True
    my_task._set_internal_data(event_value=event_value)
    return ready


def _may_fire(limits, my_task) -> bool:
    if limits is None:
        return True
    fired = limits.fired.get(my_task.id, 0)
    if fired >= limits.fires:
        return False
    limits.fired[my_task.id] = fired + 1
    return True


def install() -> None:
    CycleTimerEventDefinition.cycle_complete = _cycle_complete
