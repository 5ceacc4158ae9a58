"""The model checks' messages in the reader's language.

The engine words its lint, parser and sandbox findings in English (the CLI, the logs and the
tests read them); the modeler shows them to process owners, in Chinese by default. Each known
message shape is matched here and worded again through gettext, its variable parts (ids, file
names, the sandbox's own text) kept as they are. A message no shape matches is shown as the
engine wrote it."""
import re

from flask_babel import lazy_gettext as _l

#: What a script is, as the lint names it (`script does not compile: ...`).
WHAT = {"script": _l("script"), "preScript": _l("pre-script"), "postScript": _l("post-script"),
        "condition": _l("condition"), "loopCondition": _l("loop condition"),
        "completionCondition": _l("completion condition")}
TIMER_KINDS = {"date-time": _l("date-time"), "duration": _l("duration"),
               "recurring interval": _l("recurring interval")}

SHAPES = [(re.compile(pattern, re.S), words) for pattern, words in [
    (r"Script syntax error: (?P<detail>.*)", _l("Syntax error in the script: %(detail)s")),
    (r"Script refused: import is not allowed", _l("Scripts may not import modules.")),
    (r"Script refused: (?P<detail>.*)", _l("The sandbox refuses this script: %(detail)s")),
    (r"the expression is empty", _l("The expression is empty.")),
    (r"the timer expression is empty", _l("The timer has no value.")),
    (r"(?P<text>'.*') is not an ISO 8601 (?P<kind>date-time|duration|recurring interval) "
     r"\(for example (?P<example>.*)\)",
     _l("%(text)s is not an ISO 8601 %(kind)s (for example %(example)s).")),
    (r"(?P<text>'.*') is neither ISO 8601 (?P<kind>date-time|duration|recurring interval) text nor a "
     r"Python expression naming a variable: (?P<detail>.*)",
     _l("%(text)s is neither ISO 8601 %(kind)s text nor a Python expression naming a variable: %(detail)s")),
    (r"(?P<what>\w+) does not compile: (?P<detail>.*)", _l("The %(what)s does not compile: %(detail)s")),
    (r"(?P<kind>timeDate|timeDuration|timeCycle): (?P<detail>.*)", _l("Timer (%(kind)s): %(detail)s")),
    (r"user task is in no lane although the process has lanes; nobody is assigned to it",
     _l("This user task is in no lane although the process has lanes: nobody is assigned to it.")),
    (r"user task has no form \(spiffworkflow:property formJsonSchemaFilename\)",
     _l("This user task has no form.")),
    (r"(?P<id>'.*') is also defined by model (?P<model>\S+ v\d+); models that call it run the one "
     r"deployed last",
     _l("%(id)s is also defined by model %(model)s; models that call it run the one deployed last.")),
    (r"(?P<name>\w+) refers to form (?P<form>'.*'), which does not exist",
     _l("The form %(form)s does not exist.")),
    (r"the default flow (?P<flow>'.*') is not one of the gateway's outgoing flows",
     _l("The default flow %(flow)s is not one of the gateway's outgoing flows.")),
    (r"(?P<tag>\w+) has (?P<n>\d+) outgoing flows, (?P<bare>.*) without a condition, and no default flow; "
     r"give each flow a condition or mark one as the default",
     _l("%(n)s flows leave this gateway, %(bare)s without a condition, and none is the default: give each "
        "flow a condition or mark one as the default.")),
    (r"(?P<tag>\w+) has no incoming sequence flow, so nothing reaches it",
     _l("Nothing leads to this element: it has no incoming sequence flow.")),
    (r"(?P<tag>\w+) cannot be reached from any start event",
     _l("This element cannot be reached from any start event.")),
    (r"(?P<what>.+) reads (?P<name>'.*'), which nothing before it sets .*",
     _l("%(what)s reads %(name)s, which nothing before it sets (no form field, script, decision, call "
        "activity or start data); unless a message brings it, the case fails here.")),
    (r"the id (?P<id>'.*') is reserved by SpiffWorkflow for its own tasks; rename the element",
     _l("The id %(id)s is reserved by SpiffWorkflow: rename the element.")),
    (r"SpiffWorkflow cannot execute (?P<tag>\w+)", _l("The engine cannot run a %(tag)s.")),
    (r"the interval (?P<seconds>[\d.]+) s is shorter than the minimum of (?P<minimum>[\d.]+) s "
     r"between repetitions",
     _l("The interval of %(seconds)s s is shorter than the minimum of %(minimum)s s between repetitions.")),
    (r"(?P<count>[\d,]+) repetitions are more than the limit of (?P<limit>[\d,]+)",
     _l("%(count)s repetitions are more than the limit of %(limit)s.")),
    (r"timer has no timeDate, timeDuration or timeCycle",
     _l("The timer has no date, duration or cycle.")),
]]


def _part(name: str, value: str) -> str:
    if name == "what":
        return str(WHAT.get(value, value))
    if name == "kind":
        return str(TIMER_KINDS.get(value, value))
    return value


def words(message: str | None) -> str | None:
    """`message` in the reader's language when its shape is known, else as it is."""
    if not message:
        return message
    for pattern, template in SHAPES:
        match = pattern.fullmatch(message.strip())
        if match:
            parts = {k: _part(k, v) for k, v in match.groupdict().items()}
            if "detail" in parts:
                parts["detail"] = words(parts["detail"])
            return str(template) % parts if parts else str(template)
    return message


def problem_dict(problem) -> dict:
    """A Problem as the modeler's JSON, its message worded for the reader."""
    out = problem.to_dict()
    out["message"] = words(out.get("message"))
    return out
