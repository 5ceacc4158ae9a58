"""Live checks for the modeler: one expression, script or timer text at a time, checked as the
owner types it by the same code that checks a model before deploying (the sandbox's compile,
SpiffWorkflow's timer parser), so what passes here deploys and runs.

A timer's literal ISO text also comes back as what it means: its kind, how often it repeats
and the next three times it is due, computed by SpiffWorkflow's own parser from the engine's
clock. A timer given as an expression (a variable) is only compiled: its value is known when
a case reaches it."""
import ast
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.errors import InvalidData, ScriptError
from engine.models.bpmn.lint import TIMER_KINDS, iso_timer_error, timer_expression_error
from engine.sandbox.scripts import compile_script, is_iso_literal

#: What each kind of text is: a Python expression, a script, or a timer of one of BPMN's kinds.
KINDS = ("expression", "script") + tuple(TIMER_KINDS)
#: Texts checked in one call, and the longest text checked (a script longer than this is
#: refused by the deploy checks' own size limits long before).
MAX_ITEMS, MAX_CHARS = 200, 100_000
NEXT_DUE = 3


@dataclass
class TimerMeaning:
    """A literal timer: `kind` ('date', 'duration' or 'cycle'), the interval in seconds
    (duration, cycle), the number of repetitions (cycle; None when it repeats forever), and
    the next due times (UTC)."""
    kind: str
    seconds: float | None = None
    repetitions: int | None = None
    due: list[datetime] = field(default_factory=list)


@dataclass
class SnippetCheck:
    error: str | None = None
    line: int | None = None
    timer: TimerMeaning | None = None

    def to_dict(self) -> dict:
        out = {"ok": self.error is None, "error": self.error, "line": self.line}
        if self.timer is not None:
            out["timer"] = {"kind": self.timer.kind, "seconds": self.timer.seconds,
                            "repetitions": self.timer.repetitions,
                            "due": [d.isoformat() for d in self.timer.due]}
        return out


def _literal(text: str) -> str | None:
    """The ISO text of a timer given as plain ISO or as a quoted string, else None."""
    text = text.strip()
    try:
        node = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        node = None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.strip()
    return text if is_iso_literal(text) else None


def timer_meaning(kind: str, iso: str, now: datetime) -> TimerMeaning:
    """What a valid ISO timer text means, from SpiffWorkflow's parser."""
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    if kind == "timeDate":
        if "W" in iso.upper():
            return TimerMeaning("date", due=[TimerEventDefinition.parse_iso_week(iso)])
        return TimerMeaning("date", due=[TimerEventDefinition.get_datetime(iso)])
    if kind == "timeDuration":
        delta = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(iso), now)
        return TimerMeaning("duration", seconds=delta.total_seconds(), due=[now + delta])
    cycles, start, delta = TimerEventDefinition.parse_iso_recurring_interval(iso)
    if len(iso.strip("Rr").split("/")) == 2:  # R3/PT1H: the first one interval from now
        start = now + delta
    count = NEXT_DUE if cycles < 0 else min(NEXT_DUE, cycles)
    due = [start + delta * i for i in range(count)] if delta > timedelta(0) else [start][:count]
    return TimerMeaning("cycle", seconds=delta.total_seconds(),
                        repetitions=None if cycles < 0 else cycles, due=due)


def check_text(kind: str, text: str, now: datetime) -> SnippetCheck:
    """Whether `text` of this kind would pass the deploy checks, and what a timer means."""
    if kind not in KINDS:
        raise InvalidData(f"unknown kind of text: {kind!r}")
    text = text or ""
    if len(text) > MAX_CHARS:
        return SnippetCheck(f"the text is longer than {MAX_CHARS} characters")
    if kind in ("expression", "script"):
        if kind == "expression" and not text.strip():
            return SnippetCheck("the expression is empty")
        try:
            compile_script(text, "eval" if kind == "expression" else "exec")
        except ScriptError as err:
            return SnippetCheck(str(err), err.line)
        return SnippetCheck()
    error = timer_expression_error(kind, text, compile_script)
    if error:
        return SnippetCheck(error)
    iso = _literal(text)
    if iso is None or iso_timer_error(kind, iso):
        return SnippetCheck()  # an expression: its value is known when a case reaches it
    try:
        return SnippetCheck(timer=timer_meaning(kind, iso, now))
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow's parser raises bare Exception
        return SnippetCheck(f"{text!r}: {err}")


def check_texts(items, now: datetime) -> list[dict]:
    """`items`: [{'kind': ..., 'text': ...}, ...] as the modeler sends them."""
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise InvalidData(f"'items' must be a list of at most {MAX_ITEMS} texts to check")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text", ""), str):
            raise InvalidData("each item needs a 'kind' and a 'text'")
        out.append(check_text(item.get("kind"), item.get("text", ""), now).to_dict())
    return out
