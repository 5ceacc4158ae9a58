"""Audit verification in batches (the auditors' page): the same breaks as verify-audit,
named by kind, progress by batch, auditors and admins only."""
import pytest

from engine import Forbidden, NotFound
from engine.case import verifying
from tests.conftest import tamper


def test_clean_history_in_batches(audit_history):
    engine, case_ids = audit_history
    first = engine.verify_audit("auditor", limit=1)
    assert (first.checked, first.total, first.after, first.breaks) == (1, 2, case_ids[0], [])
    assert first.trail_events is None
    last = engine.verify_audit("auditor", after=first.after, limit=1)
    assert (last.checked, last.total, last.after, last.breaks) == (2, 2, None, [])
    # the identity trail (and the global sequence, the checkpoints) ride on the last batch
    assert last.trail_events == engine.verify_audit_all().identity_events


def test_breaks_are_named(audit_history):
    engine, (first, second) = audit_history
    tamper(engine, f"UPDATE audit_events SET actor = 'js_staff' WHERE case_id = {second} AND seq = 2",
           f"DELETE FROM audit_events WHERE case_id = {first} AND seq = 2")
    found = engine.verify_audit("admin").breaks
    assert {(b.case_id, b.seq, b.what) for b in found} >= {
        (second, 2, verifying.ALTERED), (first, 3, verifying.GAP), (first, 3, verifying.OUT_OF_ORDER)}
    altered = next(b for b in found if b.what == verifying.ALTERED)
    assert altered.event_kind and altered.at is not None
    one = engine.verify_audit("auditor", case_id=second)
    assert [(b.case_id, b.seq) for b in one.breaks] == [(second, 2)]
    assert engine.case_chain(second, "auditor") == one.breaks
    assert engine.case_chain(second, "zj_staff") == one.breaks  # their case: they may see it


def test_removed_at_the_end_is_truncation(audit_history):
    engine, (first, _) = audit_history
    tamper(engine, f"DELETE FROM audit_events WHERE case_id = {first} AND seq = "
                   f"(SELECT MAX(seq) FROM audit_events WHERE case_id = {first})")
    # seen twice: the chain's head no longer matches, and a sealed event is gone
    assert {b.what for b in engine.case_chain(first, "auditor")} == {verifying.TRUNCATED, verifying.MISSING}


def test_only_auditors_and_admins(audit_history):
    engine, (first, _) = audit_history
    for who in ("zj_staff", "ministry_officer", "hz_staff"):
        with pytest.raises(Forbidden):
            engine.verify_audit(who)
    with pytest.raises(NotFound):
        engine.verify_audit("auditor", case_id=999999)
    with pytest.raises(NotFound):
        engine.case_chain(first, "js_staff")  # another province's case
