"""Service tasks: the connectors a `spiffworkflow:serviceTaskOperator` may name.

A SpiffArena model calls a service as
`<spiffworkflow:serviceTaskOperator id="http/GetRequest" resultVariable="response">` with
`<spiffworkflow:parameter id="url" type="str" value="'https://...'"/>` children; each
parameter's value is an expression, evaluated in the sandbox against the task's data.
SpiffArena sends the call to a connector proxy; here the connectors run inside the engine,
from this registry (`liandong connectors` lists them). The result lands in the task's
result variable in the shape SpiffArena stores: `{"body", "mimetype", "http_status"}`.

An operator no connector answers is a deploy-time warning (engine.models.bpmn.services)
and, if the task is reached anyway, a clear failure of the case naming the operator.
"""
from dataclasses import dataclass, field
from typing import Callable


class ConnectorError(RuntimeError):
    """A connector refused or failed the call; the message is for the case's incident."""


@dataclass(frozen=True)
class Parameter:
    id: str
    type: str = "str"
    required: bool = False


@dataclass(frozen=True)
class Connector:
    """One operator: `run(params)` gets the evaluated parameters by id and returns the
    result (plain JSON data)."""

    id: str
    description: str
    parameters: tuple[Parameter, ...]
    run: Callable[[dict], object] = field(compare=False, repr=False)


class Registry:
    def __init__(self, connectors=()):
        self._connectors = {c.id: c for c in connectors}

    def __contains__(self, operator_id) -> bool:
        return operator_id in self._connectors

    def __iter__(self):
        return iter(sorted(self._connectors.values(), key=lambda c: c.id))

    def names(self) -> frozenset:
        return frozenset(self._connectors)

    def add(self, connector: Connector) -> None:
        self._connectors[connector.id] = connector

    def call(self, operator_id: str, params: dict):
        """Run `operator_id` with `params` (evaluated values by id)."""
        connector = self._connectors.get(operator_id)
        if connector is None:
            known = ", ".join(sorted(self._connectors)) or "none"
            raise ConnectorError(f"No connector named '{operator_id}' (this server has: {known}).")
        missing = [p.id for p in connector.parameters if p.required and params.get(p.id) in (None, "")]
        if missing:
            raise ConnectorError(f"Connector '{operator_id}' needs the parameter(s) {', '.join(missing)}.")
        unknown = sorted(set(params) - {p.id for p in connector.parameters})
        if unknown:
            raise ConnectorError(f"Connector '{operator_id}' has no parameter(s) {', '.join(unknown)}.")
        return connector.run(params)

    def service_caller(self):
        """For ScriptEngine(services=...): called with the task, the operator and SpiffWorkflow's
        evaluated parameters ({id: {"value", "type"}})."""
        def call(task, operation_name, operation_params):
            values = {name: (param or {}).get("value") for name, param in (operation_params or {}).items()}
            return self.call(operation_name, values)
        return call
