"""Logs are one JSON object a line with time, level, logger and the context; an error's
traceback is printed once and its repeats within the window are counted."""
import io
import json
import logging

import pytest

from engine.ops import logs


@pytest.fixture
def captured(settings):
    """The root logger sending JSON lines to a buffer (the process's set-up put back after)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    logs.configure(settings.with_(log_repeat_window_seconds=60.0), stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def _fail(message):
    try:
        raise RuntimeError(message)
    except RuntimeError:
        logging.getLogger("engine.test").exception("tick failed")


def test_a_line_is_a_json_object_with_time_level_logger_and_context(captured):
    token = logs.bind(request_id="req-1", user="zj_staff", case_id=7)
    try:
        logging.getLogger("engine.test").info("case %s saved", 7, extra={"task_id": "t-1"})
    finally:
        logs.CONTEXT.reset(token)
    logging.getLogger("engine.test").warning("outside any request")
    first, second = captured()
    assert first["message"] == "case 7 saved" and first["level"] == "INFO"
    assert first["logger"] == "engine.test" and first["time"].startswith("20")
    assert (first["request_id"], first["user"], first["case_id"], first["task_id"]) == (
        "req-1", "zj_staff", 7, "t-1")
    assert "request_id" not in second


def test_an_error_prints_its_traceback_once_and_repeats_are_counted(captured):
    for _ in range(50):
        _fail("database unreachable")
    _fail("something else")
    lines = captured()
    assert len(lines) == 2
    assert lines[0]["level"] == "ERROR" and "RuntimeError: database unreachable" in lines[0]["traceback"]
    assert lines[0]["traceback"].count("Traceback (most recent call last)") == 1
    assert "something else" in lines[1]["traceback"]


def test_the_first_line_after_the_window_says_how_many_were_not_printed():
    now = [0.0]
    repeats = logs.RepeatFilter(window_seconds=60, clock=lambda: now[0])

    def record():
        try:
            raise ConnectionError("refused")
        except ConnectionError as err:
            return logging.LogRecord("engine.scheduler", logging.ERROR, __file__, 1, "tick failed",
                                     (), (type(err), err, err.__traceback__))

    assert repeats.filter(record())
    assert [repeats.filter(record()) for _ in range(59)] == [False] * 59
    now[0] = 61.0
    again = record()
    assert repeats.filter(again) and again.repeated == 59
    info = logging.LogRecord("x", logging.INFO, __file__, 1, "fine", (), None)
    assert all(repeats.filter(info) for _ in range(3))  # only errors are folded
