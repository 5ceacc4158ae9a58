"""The audit trail is hash-chained: altering, removing or reordering rows is caught."""
import pytest
from sqlalchemy import text

from engine.case.audit import verify_cases
from tests.conftest import tamper


@pytest.fixture
def history(audit_history):
    return audit_history


def _verify(engine):
    with engine.db.transaction() as s:
        return verify_cases(s)


def test_untouched_history_verifies(history):
    engine, case_ids = history
    checked, breaks = _verify(engine)
    assert checked == 2 and breaks == []


def test_altered_event_is_caught(history):
    engine, (first, second) = history
    tamper(engine, f"UPDATE audit_events SET actor = 'js_staff' WHERE case_id = {second} AND seq = 2")
    _, breaks = _verify(engine)
    assert [(b.case_id, b.seq) for b in breaks] == [(second, 2)]
    assert "altered" in str(breaks[0])


def test_removed_event_is_caught(history):
    engine, (first, _second) = history
    tamper(engine, f"DELETE FROM audit_events WHERE case_id = {first} AND seq = 2")
    _, breaks = _verify(engine)
    assert breaks and all(b.case_id == first for b in breaks)
    assert "removed" in str(breaks[0])


def test_removed_last_event_is_caught(history):
    engine, (first, _second) = history
    tamper(engine, f"DELETE FROM audit_events WHERE case_id = {first} AND seq = 3")
    _, breaks = _verify(engine)
    assert [b.case_id for b in breaks] == [first] and "removed at the end" in str(breaks[0])


def test_reordered_events_are_caught(history):
    engine, (first, _second) = history
    tamper(engine,
            f"UPDATE audit_events SET seq = 100 WHERE case_id = {first} AND seq = 2",
            f"UPDATE audit_events SET seq = 2 WHERE case_id = {first} AND seq = 3",
            f"UPDATE audit_events SET seq = 3 WHERE case_id = {first} AND seq = 100")
    _, breaks = _verify(engine)
    assert breaks and {b.case_id for b in breaks} == {first}


def test_postgres_refuses_update_delete_and_truncate(history):
    engine, (first, _second) = history
    if engine.db.dialect != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite relies on the chain")
    from sqlalchemy.exc import DBAPIError
    for statement in (f"UPDATE audit_events SET actor = 'x' WHERE case_id = {first}",
                      f"DELETE FROM audit_events WHERE case_id = {first}",
                      "TRUNCATE audit_events", "TRUNCATE cases CASCADE"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.db.engine.begin() as conn:
                conn.execute(text(statement))
