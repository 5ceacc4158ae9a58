"""API tokens: made with an expiry, listed and revoked by their owner or an administrator,
refused once expired or revoked; the identity trail records each."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Forbidden, InvalidData, NotFound
from engine.people import tokens, trail
from engine.storage import ApiToken


def test_tokens_for_oneself_or_by_an_admin(campaign_orgs):
    engine = campaign_orgs
    token = engine.create_token("zj_staff", "zj_staff", "my script")
    assert engine.token_actor(token).username == "zj_staff"
    assert engine.token_actor("ld_unknown") is None
    with engine.db.read() as s:
        assert s.scalars(select(ApiToken)).one().token_sha256 == tokens.digest(token)
    with pytest.raises(Forbidden):
        engine.create_token("zj_staff", "js_staff")
    with pytest.raises(NotFound):
        engine.create_token("admin", "ghost")
    engine.create_token("admin", "js_staff", "for js")
    with engine.db.read() as s:
        assert [(e.actor, e.kind, e.subject) for e in trail.events(s)] == [
            ("admin", "token_created", "js_staff"), ("zj_staff", "token_created", "zj_staff")]
        assert token not in str([e.detail for e in trail.events(s)])


def test_a_token_expires(campaign_orgs, clock):
    engine = campaign_orgs
    default = engine.create_token("zj_staff", "zj_staff", "default")
    short = engine.create_token("zj_staff", "zj_staff", "short", days=1)
    (row_short, row_default) = engine.list_tokens("zj_staff")
    assert row_short.expires_at == clock.now() + timedelta(days=1)
    assert row_default.expires_at == clock.now() + timedelta(days=engine.settings.api_token_days)
    for days in (0, -3, engine.settings.api_token_max_days + 1):
        with pytest.raises(InvalidData):
            engine.create_token("zj_staff", "zj_staff", days=days)
    clock.advance(timedelta(days=1, seconds=1))
    assert engine.token_actor(short) is None
    assert engine.token_actor(default).username == "zj_staff"
    assert [t.state(clock.now()) for t in engine.list_tokens("zj_staff")] == ["expired", "active"]


def test_revoking_and_listing_are_scoped(campaign_orgs, clock):
    engine = campaign_orgs
    mine = engine.create_token("zj_staff", "zj_staff", "mine")
    theirs = engine.create_token("js_staff", "js_staff", "theirs")
    assert [t.label for t in engine.list_tokens("zj_staff")] == ["mine"]
    assert {t.username for t in engine.list_tokens("admin")} == {"zj_staff", "js_staff"}
    with pytest.raises(Forbidden):
        engine.list_tokens("zj_staff", "js_staff")
    their_id = engine.list_tokens("js_staff")[0].id
    with pytest.raises(Forbidden):
        engine.revoke_token("zj_staff", their_id)
    with pytest.raises(NotFound):
        engine.revoke_token("zj_staff", 999_999)
    engine.revoke_token("admin", their_id)
    assert engine.token_actor(theirs) is None
    my_id = engine.list_tokens("zj_staff")[0].id
    engine.revoke_token("zj_staff", my_id)
    engine.revoke_token("zj_staff", my_id)  # twice: nothing more happens
    assert engine.token_actor(mine) is None
    with engine.db.read() as s:
        revoked = [(e.actor, e.subject) for e in trail.events(s) if e.kind == "token_revoked"]
    assert sorted(revoked) == [("admin", "js_staff"), ("zj_staff", "zj_staff")]


def test_last_use_is_noted_now_and_then(campaign_orgs, clock):
    engine = campaign_orgs
    token = engine.create_token("zj_staff", "zj_staff")
    assert engine.list_tokens("zj_staff")[0].last_used_at is None
    engine.token_actor(token)
    first = engine.list_tokens("zj_staff")[0].last_used_at
    assert first == clock.now()
    clock.advance(timedelta(minutes=1))
    engine.token_actor(token)
    assert engine.list_tokens("zj_staff")[0].last_used_at == first
    clock.advance(tokens.LAST_USED_RESOLUTION)
    engine.token_actor(token)
    assert engine.list_tokens("zj_staff")[0].last_used_at == clock.now()
