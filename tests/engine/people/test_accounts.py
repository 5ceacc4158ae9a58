"""Sign-in bookkeeping, locale, password change, sessions ending and read marks as commands."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import Forbidden, InvalidData, NotFound
from engine.people import accounts, identity, trail
from engine.storage import FailedSignIn, Notification


def _failures(engine, username):
    with engine.db.read() as s:
        return s.scalar(select(func.count()).select_from(FailedSignIn).where(FailedSignIn.username == username))


def test_sign_in_counts_failures_blocks_and_clears(campaign_orgs, clock):
    engine = campaign_orgs
    ok = engine.sign_in("zj_staff", "secret-pass", "10.0.0.1", 3, 900)
    assert ok.account.username == "zj_staff" and ok.account.actor.roles == {"province"}
    for _ in range(3):
        assert engine.sign_in("zj_staff", "guess", "10.0.0.1", 3, 900) == accounts.SignIn(None)
    assert engine.sign_in("zj_staff", "secret-pass", "10.0.0.1", 3, 900).blocked
    assert engine.sign_in("zj_staff", "secret-pass", "10.0.0.2", 3, 900).account is not None
    assert engine.sign_in("ghost", "x", "10.0.0.1", 3, 900).account is None  # counted too
    assert _failures(engine, "ghost") == 1
    clock.advance(timedelta(seconds=901))
    assert engine.sign_in("zj_staff", "secret-pass", "10.0.0.1", 3, 900).account is not None
    assert _failures(engine, "zj_staff") == 0


def test_locale_and_own_password(campaign_orgs):
    engine = campaign_orgs
    engine.set_locale("zj_staff", "en")
    assert engine.actor("zj_staff").locale == "en"
    with pytest.raises(InvalidData):
        engine.set_locale("zj_staff", "xx")
    with pytest.raises(NotFound):
        engine.set_locale("ghost", "en")
    with pytest.raises(Forbidden, match="current password"):
        engine.change_password("zj_staff", "wrong", "brand-new-pass")
    with pytest.raises(InvalidData):
        engine.change_password("zj_staff", "secret-pass", "short")
    again = engine.change_password("zj_staff", "secret-pass", "brand-new-pass")
    assert again.username == "zj_staff" and again.session_version == 2
    assert engine.sign_in("zj_staff", "brand-new-pass", "", 5, 900).account is not None
    with engine.db.read() as s:
        assert [(e.kind, e.subject) for e in trail.events(s)] == [("password_changed", "zj_staff")]


def test_marking_notifications_read_is_a_command_on_ones_own(campaign_orgs, clock):
    engine = campaign_orgs
    with engine.db.transaction() as s:
        s.add_all([Notification(username=who, case_id=None, kind="reminder", subject="s", body="b",
                                created_at=clock.now()) for who in ("zj_staff", "zj_staff", "js_staff")])
    with engine.db.read() as s:
        theirs = s.scalar(select(Notification.id).where(Notification.username == "js_staff"))
    assert engine.mark_notifications_read("zj_staff", [theirs]) == 0
    assert engine.mark_notifications_read("zj_staff") == 2
    with engine.db.read() as s:
        from engine.people import notifications
        assert notifications.unread_count(s, "zj_staff") == 0
        assert notifications.unread_count(s, "js_staff") == 1


def _version(engine, username):
    with engine.db.read() as s:
        return accounts.account(s, username).session_version


def test_sign_out_password_change_and_deactivation_end_sessions(campaign_orgs):
    engine = campaign_orgs
    first = _version(engine, "zj_staff")
    with engine.db.read() as s:
        assert accounts.account(s, "zj_staff", first) is not None
    engine.sign_out("zj_staff")
    with engine.db.read() as s:
        assert accounts.account(s, "zj_staff", first) is None  # the old session is over
        assert accounts.account(s, "zj_staff", first + 1) is not None
    engine.change_password("zj_staff", "secret-pass", "brand-new-pass")
    assert _version(engine, "zj_staff") == first + 2
    engine.update_user("admin", "zj_staff", "ZJ", None, "zh_CN", True, password="another-pass")
    assert _version(engine, "zj_staff") == first + 3
    engine.update_user("admin", "zj_staff", "ZJ renamed", None, "zh_CN", True)
    assert _version(engine, "zj_staff") == first + 3  # a new name leaves sessions alone
    engine.update_user("admin", "zj_staff", "ZJ renamed", None, "zh_CN", False)
    with engine.db.read() as s:
        assert accounts.account(s, "zj_staff") is None


def test_an_unknown_name_costs_a_password_check(campaign_orgs, monkeypatch):
    """Sign-in time must not tell whether a user name exists: both paths hash once (counted,
    not timed: a timing test fails on a loaded machine)."""
    engine = campaign_orgs
    hashed = []
    real = identity.check_password_hash
    monkeypatch.setattr(identity, "check_password_hash",
                        lambda stored, given: hashed.append(stored.split("$")[0]) or real(stored, given))
    engine.sign_in("ghost", "wrong-pass", "10.9.9.1", 100, 900)
    engine.sign_in("zj_staff", "wrong-pass", "10.9.9.2", 100, 900)
    assert len(hashed) == 2 and hashed[0] == hashed[1]  # the same method and cost both times
