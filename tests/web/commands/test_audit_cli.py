"""`liandong verify-audit` names every case and event altered, removed or reordered, on both
databases, and exits 1; `liandong export-case` prints a case's history."""
import json

import pytest
from sqlalchemy import text

from tests.conftest import tamper


@pytest.fixture
def history(audit_history):
    return audit_history


def test_intact_history_passes(history, cli):
    _engine, (first, _second) = history
    assert "2 case(s) checked: every audit chain intact" in cli("verify-audit")
    assert "1 case(s) checked" in cli("verify-audit", "--case", first)


def test_altered_event_is_named(history, cli):
    engine, (first, second) = history
    tamper(engine, f"UPDATE audit_events SET detail = '{{}}' WHERE case_id = {second} AND seq = 2")
    out = cli("verify-audit", code=1)
    assert f"BROKEN case {second}, event 2: content altered" in out
    assert f"case {first}," not in out and "1 tampered with" in out
    assert "every audit chain intact" in cli("verify-audit", "--case", first)


def test_removed_event_is_named(history, cli):
    engine, (first, _second) = history
    tamper(engine, f"DELETE FROM audit_events WHERE case_id = {first} AND seq = 2")
    out = cli("verify-audit", code=1)
    assert f"BROKEN case {first}, event 3: sequence jumps from 1 to 3 (events removed or reordered)" in out


def test_removed_last_event_is_named(history, cli):
    engine, (_first, second) = history
    with engine.db.engine.connect() as conn:
        last = conn.execute(text(f"SELECT max(seq) FROM audit_events WHERE case_id = {second}")).scalar()
    tamper(engine, f"DELETE FROM audit_events WHERE case_id = {second} AND seq = {last}")
    out = cli("verify-audit", "--case", second, code=1)
    assert f"BROKEN case {second}, chain head" in out and "removed at the end" in out


def test_reordered_events_are_named(history, cli):
    engine, (first, _second) = history
    tamper(engine,
           f"UPDATE audit_events SET seq = 100 WHERE case_id = {first} AND seq = 2",
           f"UPDATE audit_events SET seq = 2 WHERE case_id = {first} AND seq = 3",
           f"UPDATE audit_events SET seq = 3 WHERE case_id = {first} AND seq = 100")
    out = cli("verify-audit", code=1)
    assert f"BROKEN case {first}, event 2: does not follow its predecessor" in out
    assert f"BROKEN case {first}, event 3" in out


def test_unknown_case_is_a_clear_error(history, cli):
    assert "Case 999 does not exist" in cli("verify-audit", "--case", 999, code=1)


def test_export_case(history, cli):
    _engine, (first, _second) = history
    doc = json.loads(cli("export-case", first, "--user", "auditor"))
    assert doc["case"]["id"] == first and doc["events"][0]["kind"] == "case_started"
    assert cli("export-case", first, "--format", "csv").startswith("case_id,seq,at,kind")
    assert f"Case {first} does not exist" in cli("export-case", first, "--user", "js_staff", code=1)


def test_the_identity_trail_is_verified_too(campaign_orgs, cli):
    """Users, roles and organisations made through the CLI are on the identity trail, and
    verify-audit names a change made behind its back."""
    engine = campaign_orgs
    cli("create-org", "nb", "--name", "宁波市", "--parent", "zj", "--kind", "city")
    cli("create-user", "nb_staff", "--org", "nb", "--role", "city", "--password", "long-password")
    assert "identity trail: 2 event(s), intact" in cli("verify-audit")
    tamper(engine, "UPDATE identity_events SET detail = '{}' WHERE seq = 2")
    out = cli("verify-audit", code=1)
    assert "BROKEN identity trail, event 2: content altered" in out
    assert "every audit chain intact" in out  # the cases are fine


def test_rotating_the_key_and_writing_a_checkpoint(history, cli):
    engine, (first, _second) = history
    old = engine.audit_keys.current_id
    out = cli("audit-key", "rotate")
    assert "is now current" in out and old not in out
    engine.terminate_case(first, "system", "after rotation")  # this process still chains with old
    out = cli("audit-checkpoint")
    assert "checkpoint written" in out and "2 case(s)" in out
    out = cli("verify-audit")
    assert "every audit chain intact" in out and "global sequence: " in out
    assert "identity trail: " in out and "break(s)" not in out
    assert "checkpoint: checkpoint-" in out
    # the rotation is on the identity trail, chained with the new key, which this process
    # reads from the file when it meets it
    assert _identity_keys(engine)[-1] != old and engine.verify_audit_all().breaks == []


def _identity_keys(engine):
    from engine.people import trail
    with engine.db.read() as s:
        return [e.key_id for e in reversed(trail.events(s))]


def test_the_scheduler_writes_a_checkpoint_every_so_many_minutes(history):
    from engine.scheduler import Ticker
    engine, _cases = history
    folder = engine.settings.audit_checkpoints_path
    ticker = Ticker(engine, "node-a")
    ticker()
    assert len(list(folder.glob("checkpoint-*.json"))) == 1  # the first tick writes one
    ticker()
    assert len(list(folder.glob("checkpoint-*.json"))) == 1  # not again before the interval
    ticker.checkpointed -= engine.settings.audit_checkpoint_minutes * 60
    ticker()
    assert len(list(folder.glob("checkpoint-*.json"))) == 2
    assert engine.verify_audit_all().breaks == []
