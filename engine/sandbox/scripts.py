"""The script sandbox: every BPMN script task, gateway condition and expression runs here.

Models are written by modellers, not by the operators of the server, so a script must not
reach the interpreter (`().__class__.__bases__[0].__subclasses__()` escapes a plain `exec`
with restricted globals), must not run forever and must not allocate the machine away.
Sources are compiled by RestrictedPython with the policy in `sandbox_policy` and run with
its guards; results keep SpiffWorkflow's TaskDataEnvironment semantics.
"""
import copy
import decimal
import functools
import json
import math
import re
import textwrap
import types
from datetime import date, datetime, time, timedelta, timezone

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.errors import ScriptError
from engine.sandbox.guards import (MAX_DECIMAL_EXP, PRINT_LIMIT, RunGuard, SafeDecimal, guarded_add,
    guarded_format, guarded_getattr, guarded_hasattr, guarded_inplacevar, guarded_lshift,
    guarded_mod, guarded_mul, guarded_pow, guarded_range, guarded_round, guarded_type)
from engine.sandbox.policy import SandboxError, SandboxPolicy, ScriptTimeout, refuse

__all__ = ['ScriptEngine', 'SandboxError', 'ScriptTimeout', 'compile_script', 'is_iso_literal']

FILENAME = '<script>'


class Namespace(types.SimpleNamespace):
    """A module-like object exposing a few vetted functions (never stored as task data)."""


def _json_dumps(obj, *, indent=None, sort_keys=False, ensure_ascii=True, separators=None,
                default=None):
    if (isinstance(indent, int) and indent > 16) or (isinstance(indent, str) and len(indent) > 16):
        refuse("json.dumps() indent above 16")
    return json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii,
                      separators=separators, default=default)


# No factorial, comb, perm or prod: each is a CPU bomb in one uninterruptible C call.
_MATH_NAMES = ('ceil', 'floor', 'trunc', 'sqrt', 'fabs', 'isclose', 'isfinite', 'isinf',
               'isnan', 'log', 'log10', 'log2', 'exp', 'fsum', 'gcd', 'copysign', 'hypot',
               'fmod', 'modf', 'pi', 'e', 'inf', 'nan')

#: Modules C code may import lazily through the running frame's builtins (strftime imports
#: `time`, strptime `_strptime`). Scripts cannot name `__import__`; this only serves C code.
_C_IMPORTS = frozenset({'time', '_strptime', 'datetime', '_datetime', 'calendar', 'locale',
                        'decimal', '_decimal', 'json', 'math', 're', 'unicodedata'})


def _internal_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level or name not in _C_IMPORTS:
        refuse("import is not allowed")
    return __import__(name, globals, locals, fromlist, level)


_DROPPED = {'__build_class__', '_getattr_', 'range', 'pow', 'round', 'SystemExit',
            'KeyboardInterrupt', 'GeneratorExit'}

#: What every script sees besides task data; per-run guards are added on top.
BASE_BUILTINS = {
    **{name: value for name, value in safe_builtins.items() if name not in _DROPPED},
    'datetime': datetime, 'date': date, 'timedelta': timedelta, 'timezone': timezone,
    'Decimal': SafeDecimal,
    'json': Namespace(loads=json.loads, dumps=_json_dumps),
    'math': Namespace(**{name: getattr(math, name) for name in _MATH_NAMES}),
    'min': min, 'max': max, 'len': len, 'sorted': sorted, 'abs': abs, 'any': any, 'all': all,
    'enumerate': enumerate, 'zip': zip, 'map': map, 'filter': filter, 'reversed': reversed,
    'list': list, 'dict': dict, 'set': set, 'frozenset': frozenset, 'tuple': tuple, 'str': str,
    'int': int, 'float': float, 'bool': bool, 'isinstance': isinstance,
    'range': guarded_range, 'pow': guarded_pow, 'round': guarded_round, 'type': guarded_type,
    'getattr': guarded_getattr, 'hasattr': guarded_hasattr, '__import__': _internal_import,
}

#: The names RestrictedPython's generated code calls; applied last so nothing shadows them.
GUARDS = {
    '_getattr_': guarded_getattr, '_getiter_': default_guarded_getiter,
    '_iter_unpack_sequence_': guarded_iter_unpack_sequence,
    '_unpack_sequence_': guarded_unpack_sequence, '_write_': full_write_guard,
    '_inplacevar_': guarded_inplacevar,
    '_apply_': lambda func, *args, **kwargs: func(*args, **kwargs),
    '_mul_': guarded_mul, '_pow_': guarded_pow, '_lshift_': guarded_lshift,
    '_add_': guarded_add, '_mod_': guarded_mod, '_format_': guarded_format,
}

# -- compiling ------------------------------------------------------------------------------

_ERROR_LINE = re.compile(r'Line (\d+|None): (.*)', re.S)
_SYNTAX = re.compile(r'(\w*Error): (.*?)(?: at statement: .*)?', re.S)


def _compile_error(errors):
    match = _ERROR_LINE.fullmatch(errors[0])
    line, text = (match.group(1), match.group(2)) if match else (None, errors[0])
    line = int(line) if line and line.isdigit() else None
    syntax = _SYNTAX.fullmatch(text)
    if syntax:
        return SandboxError(f"Script syntax error: {syntax.group(2)}", line)
    return SandboxError(f"Script refused: {text}", line)


@functools.lru_cache(maxsize=1024)
def compiled(source, mode):
    """Compile once per distinct source: the same condition is evaluated thousands of times."""
    if mode == 'eval':
        source = source.strip()
    elif source[:1].isspace():
        source = textwrap.dedent(source)
    compile_restricted = compile_restricted_eval if mode == 'eval' else compile_restricted_exec
    try:
        result = compile_restricted(source, filename=FILENAME, policy=SandboxPolicy)
    except (ValueError, RecursionError, MemoryError) as err:
        raise SandboxError(f"Script refused: {err}") from None
    if result.errors:
        raise _compile_error(result.errors)
    return result.code


def compile_script(source: str, mode: str = "exec") -> None:
    """Raise ScriptError if the sandbox would refuse `source`; the validator lints models
    with it before deploy. In eval mode an ISO 8601 timer literal (`PT1H`) is accepted."""
    if mode not in ('exec', 'eval'):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    source = source or ''
    if mode == 'eval' and is_iso_literal(source.strip()):
        return
    try:
        compiled(source, mode)
    except SandboxError as err:
        raise ScriptError(str(err), line=err.line) from None


# -- ISO 8601 timer literals ----------------------------------------------------------------

_NUM = r'\d+(?:[.,]\d+)?'
_DURATION = re.compile(rf'P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?'
                       rf'(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?')
_TIME = r'(?:T\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?'
_DATE = re.compile(rf'\d{{4}}-\d{{2}}-\d{{2}}{_TIME}')
_WEEK = re.compile(rf'\d{{4}}-?W\d{{2}}-?\d{_TIME}')
_CYCLE = re.compile(r'R\d*/([^/]+)(?:/([^/]+))?')


def _is_point(text):
    try:
        if _DATE.fullmatch(text):
            datetime.fromisoformat(text)
            return True
        if _WEEK.fullmatch(text):
            TimerEventDefinition.parse_iso_week(text)
            return True
    except ValueError:
        pass
    return False


def is_iso_literal(text) -> bool:
    """True for the plain ISO 8601 text BPMN editors write in timer definitions: durations
    (`P3D`), dates and date-times, and repeating intervals (`R3/PT1H`)."""
    if not isinstance(text, str):
        return False
    if _DURATION.fullmatch(text) or _is_point(text):
        return True
    cycle = _CYCLE.fullmatch(text)
    if not cycle:
        return False
    first, second = cycle.groups()
    if second is None:
        return bool(_DURATION.fullmatch(first))
    durations = [bool(_DURATION.fullmatch(part)) for part in (first, second)]
    return any(durations) and all(d or _is_point(p) for d, p in zip(durations, (first, second)))


def _timer_expressions(task):
    event = getattr(task.task_spec, 'event_definition', None)
    events = getattr(event, 'event_definitions', None) or [event]
    return [e.expression for e in events if isinstance(e, TimerEventDefinition)]


def timer_text(value):
    """A timer value as the ISO text SpiffWorkflow's timer parser reads; naive means UTC."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(), timezone.utc).isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return f"PT{int(seconds) if seconds.is_integer() else seconds}S"
    return value


# -- running --------------------------------------------------------------------------------

def _utc_now():
    return datetime.now(timezone.utc)


class SandboxEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment semantics (scripts read and assign task data directly), with
    restricted code. Scripts run on a copy of the data, written back only on success."""

    def __init__(self, helpers, task_helpers, time_limit, clock, memory_limit,
                 print_limit=PRINT_LIMIT):
        super().__init__({})
        self.helpers, self.task_helpers, self.time_limit = helpers, task_helpers, time_limit
        self.clock, self.memory_limit, self.print_limit = clock, memory_limit, print_limit

    def evaluate(self, expression, context, external_context=None, task=None):
        """SpiffWorkflow calls this without `task` for process-level conditions: the task
        helpers then get None."""
        code = compiled(expression or '', 'eval')
        return self._run(code, self._names(context, external_context, copy_data=False), task)

    def execute(self, script, context, external_context=None, task=None):
        code = compiled(script or '', 'exec')
        names = self._names(context, external_context, copy_data=True)
        self._run(code, names, task)
        external_context = external_context or {}
        result = {name: value for name, value in names.items()
                  if not name.startswith('_') and not callable(value)
                  and not isinstance(value, Namespace)
                  and (name not in external_context or name in context)}
        for name in [name for name in context if not name.startswith('_') and name not in result]:
            del context[name]
        context.update(result)
        return True

    @staticmethod
    def _names(context, external_context, copy_data):
        data = {name: value for name, value in context.items() if not name.startswith('_')}
        if copy_data:
            try:
                data = copy.deepcopy(data)
            except Exception:  # noqa: BLE001 - an uncopyable value: fall back to a shallow copy
                data = dict(data)
        names = {k: v for k, v in (external_context or {}).items() if not k.startswith('_')}
        names.update(data)
        return names

    def _run(self, code, names, task):
        guard = RunGuard(self.time_limit, self.memory_limit, self.print_limit)
        helpers = {k: v for k, v in self.helpers.items() if not k.startswith('_')}
        for name, helper in self.task_helpers.items():  # bound to this run's task, no global
            if not name.startswith('_'):
                helpers[name] = functools.partial(helper, task)
        names['__builtins__'] = {**BASE_BUILTINS, 'now': self.clock, **helpers, **GUARDS,
                                 **guard.builtins()}
        try:
            with decimal.localcontext() as ctx:
                ctx.Emax, ctx.Emin = MAX_DECIMAL_EXP, -MAX_DECIMAL_EXP
                result = eval(code, names)  # noqa: S307 - restricted code, guarded builtins
        except Exception:
            if guard.failure is not None:
                raise guard.failure from None
            raise
        if guard.failure is not None:  # the script caught its own timeout
            raise guard.failure
        return result


def script_line(err):
    """The script's line where `err` was raised, if the traceback passes through it."""
    line, tb = getattr(err, 'script_line', None), err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class ScriptEngine(PythonScriptEngine):
    """A drop-in SpiffWorkflow script engine running everything in the sandbox.

    `helpers` are extra names for scripts (mutate `engine.helpers` to add more later);
    `task_helpers` are called with the task whose script or expression is running as their
    first argument (`engine.task_helpers`), for helpers that act on the case, so nothing
    carries the task beside the call; `clock` returns an aware UTC datetime and is `now()` in scripts; `time_limit` is the
    wall-clock limit per script or expression; `memory_limit_mb` caps how much this
    process's resident memory may grow while one script runs (checked every 20 ms);
    `services(task, operation_name, operation_params)` runs a service task's operator
    (engine.runtime.connectors) and returns its result."""

    environment_class = SandboxEnvironment

    def __init__(self, helpers: dict | None = None, time_limit: float = 2.0, clock=None,
                 memory_limit_mb: int = 256, task_helpers: dict | None = None, services=None,
                 print_limit: int = PRINT_LIMIT, **options):
        helpers, task_helpers = dict(helpers or {}), dict(task_helpers or {})
        bad = [name for name in [*helpers, *task_helpers]
               if not name.isidentifier() or name.startswith('_')]
        if bad:
            raise ValueError(f"helper names must be identifiers without a leading '_': {bad}")
        super().__init__(environment=self.environment_class(
            helpers, task_helpers, float(time_limit), clock or _utc_now, memory_limit_mb * 2**20,
            print_limit, **options))
        self.services = services

    @property
    def helpers(self) -> dict:
        return self.environment.helpers

    @property
    def task_helpers(self) -> dict:
        return self.environment.task_helpers

    @property
    def time_limit(self) -> float:
        return self.environment.time_limit

    def evaluate(self, task, expression, external_context=None):
        """Evaluate a condition or expression; plain ISO 8601 timer text is returned as is,
        and a timer expression's datetime/date/timedelta result becomes ISO text."""
        text = expression.strip() if isinstance(expression, str) else expression
        if (is_iso_literal(text) and text not in task.data
                and text not in (external_context or {})):
            return text
        try:
            result = self.environment.evaluate(expression, task.data, external_context, task)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            wte = self._task_error(task, text, err, note_line=False)
            wte.add_note(f"Error evaluating expression '{text}'")
            raise wte from err
        return timer_text(result) if expression in _timer_expressions(task) else result

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context, task)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            raise self._task_error(task, script, err) from err

    def call_service(self, task, operation_name=None, operation_params=None):
        """A service task's call, as JSON text (what SpiffWorkflow's ServiceTask reads)."""
        name = getattr(task.task_spec, 'bpmn_id', None) or task.task_spec.name
        if self.services is None:
            raise WorkflowTaskException(f"Service task '{name}': this engine runs no connectors "
                                        f"(operator '{operation_name}').", task=task)
        try:
            return json.dumps(self.services(task, operation_name, operation_params), default=str)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            raise WorkflowTaskException(f"Service task '{name}' ({operation_name}): "
                                        f"{str(err).rstrip('.')}",
                                        task=task, exception=err) from err

    @staticmethod
    def _task_error(task, source, err, note_line=True):
        sandbox = isinstance(err, SandboxError)
        line = (err.line if sandbox else None) or script_line(err)
        detail = str(err) if sandbox else f"{type(err).__name__}: {err}"
        lines = textwrap.dedent(source or '').splitlines()
        error_line = lines[line - 1].strip() if line and 0 < line <= len(lines) else ''
        wte = WorkflowTaskException(detail, task=task, exception=err, line_number=line,
                                    error_line=error_line)
        if line and note_line:
            wte.add_note(f"line {line}: {error_line}" if error_line else f"line {line}")
        return wte
