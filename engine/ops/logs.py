"""Logs as one JSON object a line: time, level, logger, message, and the request id, user,
case and task where known (set by the web app per request, by the engine per command).

An error with a traceback is printed once; the same error again within
`log_repeat_window_seconds` is counted, and the next line printed for it after the window
carries `"repeated": N`. A one-minute database outage is then a handful of lines, not
32 MB of identical tracebacks.
"""
import logging
import sys
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

#: What the current request or command is about: request_id, user, case_id, task_id.
CONTEXT: ContextVar[dict] = ContextVar("liandong_log_context", default={})
CONTEXT_KEYS = ("request_id", "user", "case_id", "task_id")
_MARK = "_liandong_handler"


def bind(**values) -> object:
    """Add `values` to the log context; returns a token for `CONTEXT.reset`."""
    current = dict(CONTEXT.get())
    current.update({k: v for k, v in values.items() if v is not None})
    return CONTEXT.set(current)


class ContextFilter(logging.Filter):
    """Copy the log context onto each record (an explicit `extra=` wins)."""

    def filter(self, record):
        for key, value in CONTEXT.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class RepeatFilter(logging.Filter):
    """Print an error once per window; count its repeats and report them on the next line."""

    def __init__(self, window_seconds: float = 60.0, clock=time.monotonic, keep: int = 1000):
        super().__init__()
        self.window, self.clock, self.keep = window_seconds, clock, keep
        self._seen: OrderedDict = OrderedDict()  # key -> [printed_at, repeats]
        self._lock = threading.Lock()

    @staticmethod
    def key(record):
        if record.exc_info and record.exc_info[1] is not None:
            err = record.exc_info[1]
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else None
            return record.name, type(err).__qualname__, str(err)[:500], where
        return record.name, record.levelno, str(record.msg)

    def filter(self, record):
        if record.levelno < logging.ERROR and not record.exc_info:
            return True
        key = self.key(record)
        now = self.clock()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen[0] < self.window:
                seen[1] += 1
                return False
            if seen is not None and seen[1]:
                record.repeated = seen[1]
            self._seen[key] = [now, 0]
            self._seen.move_to_end(key)
            while len(self._seen) > self.keep:
                self._seen.popitem(last=False)
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger",
                                        "exc_info": "traceback"},
                         json_ensure_ascii=False)


def configure(settings, stream=None) -> logging.Handler:
    """Send every log record to `stream` (stderr) in the configured format; replaces the
    handler installed by an earlier call, so calling it twice is harmless."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _MARK, True)
    if settings.log_format == "json":
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(ContextFilter())
    handler.addFilter(RepeatFilter(settings.log_repeat_window_seconds))
    root.addHandler(handler)
    root.setLevel(getattr(logging, str(settings.log_level).upper(), logging.INFO))
    return handler
