"""Cross-field rules of a form: `x-liandong-rules` beside the JSON Schema (forms/README.md).

JSON Schema checks one value at a time; "the end date is not before the start date" or "the
budget is within the limit the campaign's calendar set" need two. Each rule is a Python
expression evaluated in the script sandbox, never with a bare eval, on the submitted values
with the case data behind them. A rule is checked only when every name it reads has a value
and none of its fields failed the schema: a missing field is the schema's `required` to
report, once.
"""
import ast
import re
from dataclasses import dataclass

from engine.errors import InvalidData
from engine.sandbox.scripts import BASE_BUILTINS, compile_script

RULES = "x-liandong-rules"
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class Rule:
    test: str
    field: str
    message: str
    message_en: str
    names: frozenset


@dataclass(frozen=True)
class Failure:
    path: str
    message: str
    message_en: str


def parse_rules(schema, where: str = "") -> None:
    """Raise InvalidData naming the first malformed rule anywhere in `schema` (load time)."""
    if isinstance(schema, list):
        for item in schema:
            parse_rules(item, where)
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key == RULES:
            _rules_of(schema, where)
        else:
            parse_rules(value, where)


def _rules_of(schema: dict, where: str = "") -> list[Rule]:
    raw = schema.get(RULES) or []
    if not isinstance(raw, list):
        raise InvalidData(f"{where}'{RULES}' must be a list of rules.")
    rules = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) and item[k].strip() for k in ("rule", "field", "message")):
            raise InvalidData(f"{where}rule {number} needs 'rule', 'field' and 'message' texts.")
        try:
            compile_script(item["rule"], "eval")
        except Exception as err:  # noqa: BLE001 - any refusal is the form author's to fix
            raise InvalidData(f"{where}rule {number} ({item['rule']}) cannot run: {err}") from None
        rules.append(Rule(item["rule"].strip(), item["field"], item["message"],
                          item.get("x-message-en") or item["message"], _names(item["rule"])))
    return rules


def _names(expression: str) -> frozenset:
    """The names an expression reads, bar those bound inside it (comprehension variables)."""
    tree = ast.parse(expression.strip(), mode="eval")
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return frozenset(n.id for n in ast.walk(tree)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound)


def check_rules(schema: dict, data: dict, case_data: dict, sandbox, bad_paths=frozenset()) -> list[Failure]:
    """Every failing rule in `schema` (nested objects and rows too) for submitted `data`.

    Names resolve innermost first: the row's own fields, then the form's, then the case's."""
    failures: list[Failure] = []
    _check(schema, data, [data, case_data or {}], "", sandbox, set(bad_paths), failures)
    return failures


def _check(schema, value, scopes, prefix, sandbox, bad, failures):
    if not isinstance(schema, dict) or not isinstance(value, dict):
        return
    names = {}
    for scope in reversed(scopes):
        names.update(scope)
    names.update(value)
    for rule in _rules_of(schema):
        fields = {f"{prefix}{name}" for name in rule.names if name in value} | {f"{prefix}{rule.field}"}
        if any(_missing(name, names, sandbox) for name in rule.names) or fields & bad:
            continue
        if not _holds(rule, names, sandbox):
            failures.append(Failure(f"{prefix}{rule.field}", _fill(rule.message, names, sandbox),
                                    _fill(rule.message_en, names, sandbox)))
    inner = [value] + scopes if prefix else scopes
    for key, prop in (schema.get("properties") or {}).items():
        child = value.get(key)
        if isinstance(child, dict):
            _check(prop, child, inner, f"{prefix}{key}.", sandbox, bad, failures)
        elif isinstance(child, list) and isinstance(prop, dict):
            for index, row in enumerate(child):
                _check(prop.get("items"), row, inner, f"{prefix}{key}.{index}.", sandbox, bad, failures)


def _missing(name, names, sandbox) -> bool:
    if name in names:
        return names[name] is None
    return (name not in BASE_BUILTINS and name not in sandbox.helpers and name != "now"
            and name not in getattr(sandbox, "task_helpers", {}))


def _holds(rule: Rule, names: dict, sandbox) -> bool:
    try:
        return bool(sandbox.environment.evaluate(rule.test, names))
    except Exception as err:  # noqa: BLE001 - a rule that cannot run is the form's fault, said plainly
        raise InvalidData(f"The form's rule '{rule.test}' could not be checked: {err}",
                          {rule.field: [f"This rule could not be checked: {err}"]}) from None


def _fill(message: str, names: dict, sandbox) -> str:
    """`{expression}` in a message is shown with its value (evaluated in the sandbox too)."""
    def value(match):
        try:
            return str(sandbox.environment.evaluate(match.group(1), names))
        except Exception:  # noqa: BLE001 - a placeholder that cannot be filled stays as written
            return match.group(0)
    return _PLACEHOLDER.sub(value, message)
