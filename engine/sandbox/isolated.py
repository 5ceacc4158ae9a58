"""The script engine the Engine uses: cheap expressions in-process, everything else in a worker.

Scripts always run in a worker process (engine/sandbox/pool.py); a condition or timer
expression runs in the server's process only when engine/sandbox/bounded.py proves it
cheap, and in a worker otherwise. Either way it is first compiled here under the sandbox
policy, so a refused script is reported without a trip to a worker. Task data goes to the
worker and back as JSON; a script's new data replaces the task's only when it succeeded.
A helper the script calls runs here, with the running task, its arguments and result
crossing as JSON (engine/sandbox/worker.py `_stub`).
"""
from engine.sandbox import wire
from engine.sandbox.bounded import is_bounded
from engine.sandbox.policy import SandboxError
from engine.sandbox.pool import shared_pool
from engine.sandbox.scripts import ScriptEngine, SandboxEnvironment, compiled

#: Bytes of JSON one value of task data may take (a setting: `value_max_bytes`).
VALUE_LIMIT = 256 * 1024


class IsolatedEnvironment(SandboxEnvironment):
    def __init__(self, helpers, task_helpers, time_limit, clock, memory_limit, print_limit,
                 workers=2, value_limit=VALUE_LIMIT):
        super().__init__(helpers, task_helpers, time_limit, clock, memory_limit, print_limit)
        self.workers, self.value_limit = workers, value_limit

    @property
    def pool(self):
        return shared_pool(self.workers, self.memory_limit)

    def _layout(self) -> dict:
        """The helpers as the worker builds its stubs: functions, and namespaces of them."""
        layout = {name: None for name in self.task_helpers if not name.startswith('_')}
        for name, helper in self.helpers.items():
            if name.startswith('_'):
                continue
            if callable(helper):
                layout[name] = None
            else:
                layout[name] = {attribute: None for attribute, value in vars(helper).items()
                                if callable(value) and not attribute.startswith('_')}
        return layout

    def _caller(self, task):
        """Runs a helper call from the worker: task helpers with the running task."""
        def on_call(name, args, kwargs):
            space, _, attribute = name.partition('.')
            if attribute:
                helper = getattr(self.helpers[space], attribute) if not attribute.startswith('_') else None
            elif name in self.task_helpers:
                return self.task_helpers[name](task, *args, **kwargs)
            else:
                helper = self.helpers.get(name)
            if not callable(helper):
                raise NameError(f"name '{name}' is not defined")
            return helper(*args, **kwargs)
        return on_call

    def evaluate(self, expression, context, external_context=None, task=None):
        if is_bounded(expression):
            return super().evaluate(expression, context, external_context, task)
        return self._remote('eval', expression, context, external_context, task)['result']

    def execute(self, script, context, external_context=None, task=None):
        answer = self._remote('exec', script, context, external_context, task)
        data = answer['data']
        for name, value in data.items():
            size = len(wire.dumps(value).encode())
            if size > self.value_limit:
                raise SandboxError(f"Script refused: the value '{name}' would take {size:,} bytes; "
                                   f"the limit for one value is {self.value_limit:,}")
        for name in [name for name in context if not name.startswith('_') and name not in data]:
            del context[name]
        context.update(data)
        return True

    def _remote(self, mode, source, context, external_context, task):
        compiled(source or '', mode)  # refusals come from here, at no cost of a worker
        try:
            data = wire.dumps({k: v for k, v in context.items() if not k.startswith('_')})
            external = wire.dumps({k: v for k, v in (external_context or {}).items()
                                   if not k.startswith('_')}) if external_context else None
        except wire.WireError as err:
            raise SandboxError(f"Script refused: the task data holds {err}") from None
        return self.pool.run({
            'mode': mode, 'source': source or '', 'data': data, 'external': external,
            'helpers': self._layout(), 'now': self.clock().isoformat(),
            'time_limit': self.time_limit, 'memory_limit': self.memory_limit,
            'print_limit': self.print_limit}, self._caller(task))


class IsolatedScriptEngine(ScriptEngine):
    """ScriptEngine(..., workers=N, value_limit=bytes): the pool's size and one value's limit."""

    environment_class = IsolatedEnvironment


def script_engine(settings, clock, task_helpers: dict, helpers=None, services=None) -> ScriptEngine:
    """The Engine's script engine, as `settings` (engine.config.Settings) ask."""
    options = dict(task_helpers=task_helpers, helpers=helpers, services=services, clock=clock,
                   time_limit=settings.script_time_limit,
                   memory_limit_mb=settings.script_memory_limit_mb,
                   print_limit=settings.script_print_limit)
    if settings.script_workers <= 0:
        return ScriptEngine(**options)
    return IsolatedScriptEngine(workers=settings.script_workers,
                                value_limit=settings.value_max_bytes, **options)
