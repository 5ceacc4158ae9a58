"""What task data may hold, checked where it enters a case (a form, the API, a start, a
repair): finite numbers only, no value above `value_max_bytes` and no submission above
`submission_max_bytes` (engine.config). The case's whole state is held to
`case_state_max_bytes` when it is saved (engine.runtime.state.check_size).

NaN and Infinity are not JSON: SQLite would store them as text no reader accepts and
PostgreSQL refuses them, so they are refused here with the field's name instead.
"""
import json
import math
from decimal import Decimal

from engine.errors import InvalidData


def not_finite(value, path=""):
    """The path of the first NaN or Infinity inside `value`, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or "value")
    if isinstance(value, Decimal):
        return None if value.is_finite() else (path or "value")
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = not_finite(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def _size(value) -> int:
    return len(json.dumps(value, default=str, ensure_ascii=False).encode())


def _refused(message, path, chinese, english) -> InvalidData:
    """Field errors in Chinese, with English beside them (as the forms' own errors)."""
    err = InvalidData(message, {path: [chinese]})
    err.field_errors_en = {path: [english]}
    return err


def check_data(data: dict, settings) -> None:
    """Refuse `data` (submitted to a case) with InvalidData naming the field at fault."""
    path = not_finite(data)
    if path:
        raise _refused(f"'{path}' is not a number: NaN and Infinity cannot be stored.",
                       path, "请输入有限的数值。", "Enter a finite number.")
    total = 0
    for name, value in data.items():
        size = _size(value)
        total += size
        if size > settings.value_max_bytes:
            raise _refused(f"'{name}' is {size:,} bytes; one value may be at most "
                           f"{settings.value_max_bytes:,} bytes.", name,
                           f"此项内容过大（最多 {settings.value_max_bytes:,} 字节）。",
                           f"This value is too large (at most {settings.value_max_bytes:,} bytes).")
    if total > settings.submission_max_bytes:
        raise InvalidData(f"The data sent is {total:,} bytes; at most "
                          f"{settings.submission_max_bytes:,} bytes may be sent at once.")


class NotFinite(ValueError):
    """JSON text with NaN, Infinity or -Infinity (Python's json reads them; JSON has none)."""


def _refuse(name):
    raise NotFinite(f"{name} is not a number JSON allows; send a finite number.")


def loads_finite(text):
    """json.loads, refusing NaN and Infinity with NotFinite."""
    return json.loads(text, parse_constant=_refuse)
