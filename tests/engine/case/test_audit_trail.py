"""The audit trail against someone who can write to the database but holds no audit key:
each attack of issue 18 item 5, and what `verify-audit` (Engine.verify_audit) names."""
import json
import os

import pytest
from sqlalchemy import select, text

from engine.case.audit import GENESIS, canonical
from engine.people import trail
from engine.storage import AuditEvent, Base, Case, IdentityEvent
from engine.storage.audit_keys import legacy_hash
from tests.conftest import tamper


def _breaks(engine, case_id=None):
    report = engine.verify_audit_all("system", case_id)
    return report, [(b.case_id, b.seq, b.what) for b in report.breaks]


def _events(engine, case_id):
    with engine.db.read() as s:
        return s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                         .order_by(AuditEvent.seq)).all()


def _rechain_unkeyed(engine, case_id, change=lambda event: None, only=None):
    """What a writer without the key can do: rewrite the case's events (`change`), recompute
    every hash the unkeyed way and mend the case's head (`only`: the first events only)."""
    events = _events(engine, case_id)[:only]
    statements, prev = [], GENESIS
    for event in events:
        change(event)
        event.prev_hash, event.key_id = prev, None
        event.hash = prev = legacy_hash(prev, canonical(event))
        statements.append(f"UPDATE audit_events SET actor = '{event.actor}', prev_hash = '{event.prev_hash}', "
                          f"hash = '{event.hash}', key_id = NULL WHERE id = {event.id}")
    if only is None:
        statements.append(f"UPDATE cases SET audit_seq = {len(events)}, audit_head = '{prev}' WHERE id = {case_id}")
    tamper(engine, *statements)


def _delete_case(engine, case_id, seals_too=False):
    """Every row of the case, in every table that names it, then the case."""
    tables = [t.name for t in Base.metadata.sorted_tables if "case_id" in t.c and t.name != "cases"
              and (seals_too or t.name != "audit_seals")]
    tamper(engine, *[f"DELETE FROM {name} WHERE case_id = {case_id}" for name in tables],
           f"DELETE FROM cases WHERE id = {case_id}")


def test_an_untouched_trail_verifies_with_keys_seals_and_a_checkpoint(audit_history):
    engine, (first, second) = audit_history
    written = engine.write_audit_checkpoint()
    report, breaks = _breaks(engine)
    assert breaks == [] and report.cases == 2 and report.checkpoint == written.path.name
    assert report.seals >= 6 + report.identity_events  # a seal per committed command at least
    assert {e.key_id for e in _events(engine, first)} == {engine.audit_keys.current_id}
    keys = engine.settings.audit_keys_path
    assert oct((keys / "hmac-keys.json").stat().st_mode & 0o777) == "0o600"
    assert oct(keys.stat().st_mode & 0o777) == "0o700"


def test_an_event_rewritten_and_the_chain_recomputed_without_the_key_is_caught(audit_history):
    engine, (first, second) = audit_history
    _rechain_unkeyed(engine, second, lambda e: setattr(e, "actor", "js_staff") if e.seq == 2 else None)
    _report, breaks = _breaks(engine)
    # the case's own chain now holds (unkeyed), but its seals name other hashes
    assert (second, 3, "altered") in breaks and {case for case, _, _ in breaks} == {second}


def test_a_rewrite_keeping_the_key_id_fails_the_hmac(audit_history):
    engine, (first, _second) = audit_history
    tamper(engine, f"UPDATE audit_events SET actor = 'js_staff' WHERE case_id = {first} AND seq = 2")
    _report, breaks = _breaks(engine)
    assert (first, 2, "altered") in breaks


def test_the_last_event_deleted_and_the_head_mended_is_caught(audit_history):
    engine, (first, _second) = audit_history
    events = _events(engine, first)
    tamper(engine, f"DELETE FROM audit_events WHERE case_id = {first} AND seq = {len(events)}",
           f"UPDATE cases SET audit_seq = {len(events) - 1}, audit_head = '{events[-2].hash}' WHERE id = {first}")
    report, breaks = _breaks(engine)
    assert (first, len(events), "removed") in breaks
    assert "sealed at global sequence" in str(report.breaks[0])


def test_a_whole_case_deleted_is_caught_by_its_seals(audit_history):
    engine, (first, second) = audit_history
    _delete_case(engine, first)
    report, breaks = _breaks(engine)
    assert report.cases == 1 and breaks == [(first, None, "missing")]
    assert f"case {first} is missing" in str(report.breaks[0])


def test_a_whole_case_deleted_with_its_seals_leaves_gaps_in_the_global_sequence(audit_history):
    engine, (first, second) = audit_history
    _delete_case(engine, first, seals_too=True)
    report, breaks = _breaks(engine)
    assert (None, None, "missing") in breaks and (None, None, "removed") in breaks
    assert any("global sequence" in str(b) and "jumps" in str(b) for b in report.breaks)


def test_a_newest_case_deleted_with_its_seals_is_caught_by_the_checkpoint(audit_history):
    """Its seals were the newest: deleted, and the global head mended, the seal chain holds;
    the checkpoint written before still names the case and the global head."""
    engine, (first, second) = audit_history
    engine.write_audit_checkpoint()
    with engine.db.read() as s:
        last_of_first = s.scalar(text(f"SELECT max(gseq) FROM audit_seals WHERE case_id = {first}"))
        mac = s.scalar(text(f"SELECT mac FROM audit_seals WHERE gseq = {last_of_first}"))
    _delete_case(engine, second, seals_too=True)
    tamper(engine, f"DELETE FROM audit_seals WHERE gseq > {last_of_first}",
           f"UPDATE audit_chains SET seq = {last_of_first}, head = '{mac}' WHERE name = 'global'")
    _report, breaks = _breaks(engine)
    assert (second, None, "missing") in breaks and (None, None, "missing") in breaks  # the global head


def test_a_seal_removed_from_the_middle_leaves_a_gap(audit_history):
    engine, _cases = audit_history
    tamper(engine, "DELETE FROM audit_seals WHERE gseq = 3")
    report, breaks = _breaks(engine)
    assert (None, None, "missing") in breaks
    assert any("jumps from 2 to 4" in str(b) for b in report.breaks)


def test_an_altered_checkpoint_fails_its_signature(audit_history):
    engine, (first, _second) = audit_history
    written = engine.write_audit_checkpoint()
    doc = json.loads(written.path.read_text())
    doc["body"]["cases"].pop(str(first))  # hide a case from the checkpoint
    written.path.write_text(json.dumps(doc))
    report, breaks = _breaks(engine)
    assert breaks == [(None, None, "checkpoint")] and report.checkpoint is None
    assert "signature does not match" in str(report.breaks[0])


def test_a_rotated_key_keeps_old_events_verifiable(audit_history):
    engine, (first, _second) = audit_history
    old = engine.audit_keys.current_id
    new = engine.rotate_audit_key("system")
    assert new != old and engine.audit_keys.current_id == new
    engine.terminate_case(first, "system", "rotated")
    assert {e.key_id for e in _events(engine, first)} == {old, new}
    assert _breaks(engine)[1] == []
    # the rotation is on the identity trail, and another process reads both keys from the file
    from engine import Engine
    again = Engine(engine.settings, engine.clock)
    try:
        assert again.audit_keys.current_id == new and _breaks(again)[1] == []
    finally:
        again.close()
    # an old key lost is named, not taken for tampering with the content
    doc = json.loads((engine.settings.audit_keys_path / "hmac-keys.json").read_text())
    del doc["keys"][old]
    (engine.settings.audit_keys_path / "hmac-keys.json").write_text(json.dumps(doc))
    lost = Engine(engine.settings, engine.clock)
    try:
        assert (first, 1, "unknown-key") in _breaks(lost)[1]
    finally:
        lost.close()


def test_keys_from_the_environment(audit_history, monkeypatch):
    engine, (first, _second) = audit_history
    from engine import Engine
    file_keys = json.loads((engine.settings.audit_keys_path / "hmac-keys.json").read_text())["keys"]
    pairs = ",".join(f"{key_id}:{value}" for key_id, value in file_keys.items())
    monkeypatch.setenv("LIANDONG_AUDIT_HMAC_KEYS", pairs + ",env2:" + os.urandom(32).hex())
    other = Engine(engine.settings, engine.clock)
    try:
        other.terminate_case(first, "system", "env key")
        assert _events(other, first)[-1].key_id == "env2" and _breaks(other)[1] == []
        with pytest.raises(Exception, match="append a new id:hex"):
            other.rotate_audit_key("system")
    finally:
        other.close()


def test_legacy_unkeyed_events_verify_and_the_keyed_chain_continues(audit_history):
    """A database as migration 0012 finds it: unkeyed SHA-256 chains, no seals."""
    engine, (first, second) = audit_history
    _as_before_0012(engine)
    report, breaks = _breaks(engine)
    assert breaks == [] and report.seals == 0
    engine.terminate_case(first, "system", "after the upgrade")
    events = _events(engine, first)
    assert events[0].key_id is None and events[-1].key_id is not None
    assert _breaks(engine)[1] == []
    # rewriting the legacy part now breaks the keyed link that follows it
    _rechain_unkeyed(engine, first, lambda e: setattr(e, "actor", "js_staff") if e.seq == 1 else None,
                     only=len(events) - 1)
    assert (first, len(events), "reordered") in _breaks(engine)[1]


def _as_before_0012(engine):
    with engine.db.read() as s:
        case_ids = s.scalars(select(Case.id)).all()
        rows = s.scalars(select(IdentityEvent).order_by(IdentityEvent.seq)).all()
    for case_id in case_ids:
        _rechain_unkeyed(engine, case_id)
    statements, prev = [], GENESIS
    for row in rows:
        row_hash = legacy_hash(prev, trail.canonical(row))
        statements.append(f"UPDATE identity_events SET key_id = NULL, prev_hash = '{prev}', "
                          f"hash = '{row_hash}' WHERE id = {row.id}")
        prev = row_hash
    tamper(engine, *statements, "DELETE FROM audit_seals",
           f"UPDATE audit_chains SET head = '{prev}' WHERE name = 'identity'",
           f"UPDATE audit_chains SET seq = 0, head = '{GENESIS}' WHERE name = 'global'")


def test_concurrent_commands_seal_one_gapless_global_sequence(audit_history):
    """Commands on different cases at once (no case lock between them) still number their
    seals without a gap or a duplicate; the counter row is the last lock each one takes."""
    import threading
    engine, _cases = audit_history
    errors, started = [], []

    def work():
        try:
            for _ in range(4):
                case = engine.start_case("plan_review", "zj_staff")
                engine.complete_task(case.tasks[0], "zj_staff", {"title": "并发", "budget": 1})
                started.append(case.case_id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(started) == 16
    report, breaks = _breaks(engine)
    assert breaks == [] and report.cases == 18
    with engine.db.read() as s:
        numbers = s.scalars(text("SELECT gseq FROM audit_seals ORDER BY gseq")).all()
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 6 + 32


def test_a_backup_writes_a_signed_checkpoint_before_its_snapshot(audit_history, tmp_path):
    engine, (first, _second) = audit_history
    engine.backup(tmp_path / "nightly.liandong")
    files = list(engine.settings.audit_checkpoints_path.glob("checkpoint-*.json"))
    assert len(files) == 1
    doc = json.loads(files[0].read_text())
    assert doc["body"]["reason"] == "backup" and str(first) in doc["body"]["cases"]
    report, breaks = _breaks(engine)
    assert breaks == [] and report.checkpoint == files[0].name
