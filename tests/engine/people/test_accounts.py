"""Sign-in bookkeeping, locale, password change, API tokens and read marks as commands."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import Forbidden, InvalidData, NotFound
from engine.people import accounts, trail
from engine.storage import ApiToken, FailedSignIn, Notification


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
    engine.change_password("zj_staff", "secret-pass", "brand-new-pass")
    assert engine.sign_in("zj_staff", "brand-new-pass", "", 5, 900).account is not None
    with engine.db.read() as s:
        assert [(e.kind, e.subject) for e in trail.events(s)] == [("password_changed", "zj_staff")]


def test_tokens_for_oneself_or_by_an_admin(campaign_orgs):
    engine = campaign_orgs
    token = engine.create_token("zj_staff", "zj_staff", "my script")
    with engine.db.read() as s:
        assert accounts.actor_for_token(s, token).username == "zj_staff"
        assert accounts.actor_for_token(s, "ld_unknown") is None
        assert s.scalars(select(ApiToken)).one().token_sha256 == accounts.digest(token)
    with pytest.raises(Forbidden):
        engine.create_token("zj_staff", "js_staff")
    with pytest.raises(NotFound):
        engine.create_token("admin", "ghost")
    engine.create_token("admin", "js_staff", "for js")
    with engine.db.read() as s:
        assert [(e.actor, e.kind, e.subject) for e in trail.events(s)] == [
            ("admin", "token_created", "js_staff"), ("zj_staff", "token_created", "zj_staff")]
        assert token not in str([e.detail for e in trail.events(s)])


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
