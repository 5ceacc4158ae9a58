"""Limits on what a case holds, and numbers JSON cannot hold (engine/runtime/values.py,
state.dump_state): each refused with a clear error, nothing saved, on both databases."""
import math
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine import ExecutionError, InvalidData
from engine.commands import attachments
from engine.storage import Attachment, Case
from tests.conftest import bpmn
from tests.engine.sandbox.test_isolation import script_model

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _cases(engine) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("value, path", [
    (math.nan, "score"), (math.inf, "score"), (-math.inf, "score"),
    ({"inner": [1, math.nan]}, "score.inner.1"), (Decimal("NaN"), "score"),
])
def test_nan_and_infinity_are_refused_at_start_and_completion(engine, value, path):
    engine.deploy(bpmn("script_task.bpmn"))
    with pytest.raises(InvalidData) as refused:
        engine.start_case("script_task", data={"score": value})
    assert path in refused.value.field_errors and "NaN" in str(refused.value)
    assert _cases(engine) == 0
    started = engine.start_case("script_task", data={"total": 1})
    with pytest.raises(InvalidData):
        engine.complete_task(started.tasks[0], "system", {"total": value})
    with pytest.raises(InvalidData):
        engine.edit_case_data(started.case_id, "system", {"total": value}, "fix")
    assert engine.case_data(started.case_id, "system") == {"total": 1}


def test_one_value_and_one_submission_have_a_size_limit(engine):
    engine.deploy(bpmn("script_task.bpmn"))
    started = engine.start_case("script_task", data={"total": 1})
    big = "字" * (engine.settings.value_max_bytes // 3 + 10)
    with pytest.raises(InvalidData) as refused:
        engine.complete_task(started.tasks[0], "system", {"total": 1, "notes": big})
    assert "notes" in refused.value.field_errors
    parts = {f"part{i}": "x" * 200_000 for i in range(3)}  # each below, together above
    with pytest.raises(InvalidData) as refused:
        engine.complete_task(started.tasks[0], "system", {"total": 1, **parts})
    assert "at most" in str(refused.value)
    done = engine.complete_task(started.tasks[0], "system", {"total": 2})
    assert engine.case_data(done.case_id, "system")["result"] == 4


def test_a_case_state_above_its_limit_is_not_saved(engine):
    """Values each within their limit that together pass the case's limit (1 MB)."""
    engine.deploy(script_model("\n".join(f"v{i} = 'x' * 200000" for i in range(6))))
    with pytest.raises(InvalidData) as refused:
        engine.start_case("sandbox_script", data={})
    assert "a case may hold at most 1,048,576" in str(refused.value)
    assert _cases(engine) == 0


def test_a_script_value_above_its_limit_fails_the_command(engine):
    engine.deploy(script_model("v = 'x' * 300000"))
    with pytest.raises(ExecutionError) as failed:
        engine.start_case("sandbox_script", data={})
    assert "the limit for one value is 262,144" in str(failed.value)
    assert _cases(engine) == 0


def test_printed_output_is_bounded(engine):
    engine.deploy(script_model("for i in range(100):\n    print('x' * 1000)\nout = printed"))
    with pytest.raises(ExecutionError) as failed:
        engine.start_case("sandbox_script", data={})
    assert "printed output above 65,536 characters" in str(failed.value)
    engine.deploy(script_model("print('hello')\nout = printed"))
    started = engine.start_case("sandbox_script", data={})
    assert engine.case_data(started.case_id, "system")["out"] == "hello\n"


def test_uploads_per_case_are_limited(engine, settings, clock):
    from engine import Engine
    limited = Engine(settings.with_(uploads_per_case=2), clock)
    try:
        from tests.conftest import demo_data
        demo_data(limited)
        limited.deploy(bpmn("script_task.bpmn"))
        case_id = limited.start_case("script_task", "zj_staff", {"total": 1}).case_id
        actor = limited.actor("zj_staff")
        for number in range(2):
            attachments.attach(limited, actor, case_id, f"plan{number}.pdf", PDF + bytes([number]))
        with pytest.raises(InvalidData) as refused:
            attachments.attach(limited, actor, case_id, "third.pdf", PDF + b"3")
        assert "at most 2" in str(refused.value)
        with limited.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Attachment)) == 2
    finally:
        limited.close()
