"""Task data as JSON text, the only form in which it crosses to and from a script worker.

JSON both ways, never pickle: a worker runs a modeller's script, so what it sends back is
untrusted and must not be able to run code in the server when it is read. Dates, times and
durations travel the way SpiffWorkflow stores them; Decimals and sets get a small marker.
NaN and Infinity are refused, and so are integers too long for JSON text (Python's own
limit of 4,300 digits), so nothing leaves a script that the case's state could not store.
"""
import json
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
_MARK = "__liandong_type__"


class WireError(ValueError):
    """A value that cannot cross: not finite, too long, or of a kind JSON cannot hold."""


def _default(value):
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise WireError("a Decimal that is not a finite number (NaN or Infinity)")
        return {_MARK: "decimal", "value": str(value)}
    if isinstance(value, (set, frozenset)):
        return {_MARK: "set", "value": list(value)}
    raise WireError(f"a value of type {type(value).__name__}, which task data cannot hold")


def _hook(obj):
    kind = obj.get(_MARK) if len(obj) == 2 else None
    if kind == "decimal":
        return Decimal(obj["value"])
    if kind == "set":
        return set(obj["value"])
    return obj


def dumps(value) -> str:
    """`value` as JSON text; WireError says why it cannot be."""
    try:
        return json.dumps(_REGISTRY.convert(value), default=_default, allow_nan=False,
                          ensure_ascii=False, separators=(",", ":"))
    except WireError:
        raise
    except ValueError as err:  # allow_nan=False, or an int past the digit limit
        text = str(err)
        if "JSON compliant" in text:
            raise WireError("a number that is not finite (NaN or Infinity)") from None
        if "digits" in text:
            raise WireError("an integer of more than 4,300 digits") from None
        raise WireError(f"a value that cannot be stored ({text})") from None
    except (TypeError, RecursionError) as err:
        raise WireError(f"a value that cannot be stored ({err})") from None


def loads(text: str):
    return _REGISTRY.restore(json.loads(text, object_hook=_hook, parse_constant=_refuse_constant))


def _refuse_constant(name):
    raise WireError(f"{name} is not a number task data can hold")


# -- frames: how jobs and answers travel between the server and a worker ------------------

def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return data


def read_frame(stream) -> bytes:
    """One length-prefixed frame (4 bytes, big-endian, then the bytes)."""
    return _read(stream, int.from_bytes(_read(stream, 4), "big"))


def write_frame(stream, payload: bytes) -> None:
    stream.write(len(payload).to_bytes(4, "big") + payload)
    stream.flush()
