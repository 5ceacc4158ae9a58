"""Identity commands: administrators only, bad input refused with a clear error and nothing
changed, every change on the hash-chained identity trail, and the actor cache fresh at once."""
import pytest
from sqlalchemy import select

from engine import Conflict, Forbidden, InvalidData, NotFound
from engine.people import admin, trail
from engine.storage import IdentityEvent, Membership, User
from tests.conftest import tamper


def _events(engine):
    with engine.db.read() as s:
        return [(e.actor, e.kind, e.subject) for e in reversed(trail.events(s))]


def test_only_admins_and_the_system_change_who_holds_what(campaign_orgs):
    engine = campaign_orgs
    for who in ("zj_staff", "auditor", "ministry_officer"):
        with pytest.raises(Forbidden, match="only administrators"):
            engine.create_user(who, "sneaky", "long-password", memberships=[("zj", "admin")])
        with pytest.raises(Forbidden):
            engine.add_membership(who, who, "ministry", "admin")
        with pytest.raises(Forbidden):
            engine.create_organisation(who, "x1", "X")
        with pytest.raises(Forbidden):
            engine.update_user(who, "zj_staff2", "x", None, "zh_CN", False)
    with pytest.raises(NotFound):
        engine.create_user("nobody", "sneaky", "long-password")
    with engine.db.read() as s:
        assert s.scalar(select(User).where(User.username == "sneaky")) is None
        assert engine.actor("zj_staff").roles == {"province"}
    assert _events(engine) == []


def test_each_change_is_on_the_trail_and_seen_by_the_next_command(campaign_orgs):
    engine = campaign_orgs
    assert engine.actor("zj_staff2").roles == {"province"}  # cached now (5 s)
    assert engine.create_organisation("admin", "nb", "宁波市", parent="zj", kind="city") == "/ministry/zj/nb/"
    engine.create_user("admin", "nb_staff", "long-password", "宁波", [("nb", "city")], locale="en")
    engine.add_membership("admin", "zj_staff2", "nb", " city ")
    assert engine.actor("zj_staff2").roles == {"province", "city"}  # the cache was cleared
    with engine.db.read() as s:
        membership_id = s.scalar(select(Membership.id).join(User).where(
            User.username == "zj_staff2", Membership.role == "city"))
    engine.remove_membership("admin", "zj_staff2", membership_id)
    assert engine.actor("zj_staff2").roles == {"province"}
    engine.update_user("system", "nb_staff", "宁波小李", "li@example.org", "zh_CN", False,
                       password="another-password")
    with pytest.raises(NotFound):
        engine.actor("nb_staff")  # deactivated
    assert _events(engine) == [
        ("admin", "organisation_created", "nb"), ("admin", "user_created", "nb_staff"),
        ("admin", "membership_added", "zj_staff2"), ("admin", "membership_removed", "zj_staff2"),
        ("system", "user_changed", "nb_staff")]
    with engine.db.read() as s:
        changed = trail.events(s, "nb_staff")[0]
        assert changed.detail["changes"]["active"] == [True, False]
        assert changed.detail["password_set"] is True
        assert "another-password" not in str(changed.detail) and "hash" not in str(changed.detail)
        assert trail.verify(s) == (5, [])


def test_bad_input_is_refused_and_changes_nothing(campaign_orgs):
    engine = campaign_orgs
    with pytest.raises(NotFound, match="No user named 'ghost'"):
        engine.update_user("admin", "ghost", "", None, "zh_CN", True)
    with pytest.raises(NotFound):
        engine.add_membership("admin", "ghost", "zj", "province")
    with pytest.raises(NotFound, match="organisation"):
        engine.add_membership("admin", "zj_staff", "nowhere", "province")
    with pytest.raises(Conflict, match="already holds"):
        engine.add_membership("admin", "zj_staff", "zj", "province")
    with pytest.raises(InvalidData):
        engine.add_membership("admin", "zj_staff", "zj", "  ")
    with pytest.raises(NotFound):
        engine.remove_membership("admin", "zj_staff", 99999)
    with engine.db.read() as s:  # another person's membership, named under the wrong user
        theirs = s.scalar(select(Membership.id).join(User).where(User.username == "js_staff"))
    with pytest.raises(NotFound):
        engine.remove_membership("admin", "zj_staff", theirs)
    with pytest.raises(InvalidData, match="not offered"):
        engine.update_user("admin", "zj_staff", "王丽", None, "fr", True)
    with pytest.raises(InvalidData, match="not offered"):
        engine.create_user("admin", "fr_staff", "long-password", locale="fr")
    with pytest.raises(Conflict, match="already exists"):
        engine.create_user("admin", "zj_staff", "long-password")
    with pytest.raises(InvalidData):
        engine.create_user("admin", "system", "long-password")
    with pytest.raises(Conflict):
        engine.create_organisation("admin", "zj", "again")
    with pytest.raises(InvalidData):
        engine.create_organisation("admin", "a/b", "slash")
    with pytest.raises(NotFound):
        engine.create_organisation("admin", "x2", "x", parent="nope")
    with engine.db.read() as s:
        assert s.scalar(select(User).where(User.username == "fr_staff")) is None
        assert s.scalars(select(IdentityEvent)).all() == []
    assert engine.actor("js_staff").roles == {"province"}


def test_an_admin_cannot_lock_themselves_out(campaign_orgs):
    engine = campaign_orgs
    engine.update_user("admin", "admin", "管理员", None, "zh_CN", False)
    assert engine.actor("admin").username == "admin"  # still active


def test_the_trail_names_what_was_altered_removed_or_cut(campaign_orgs):
    engine = campaign_orgs
    engine.create_organisation("admin", "nb", "宁波市", parent="zj", kind="city")
    engine.add_membership("admin", "zj_staff2", "nb", "city")
    engine.add_membership("admin", "hz_staff", "nb", "city")
    with engine.db.read() as s:
        assert trail.verify(s) == (3, [])
    tamper(engine, "UPDATE identity_events SET subject = 'js_staff' WHERE seq = 2")
    with engine.db.read() as s:
        checked, breaks = trail.verify(s)
    assert checked == 3 and [(b.seq, "altered" in b.reason) for b in breaks] == [(2, True)]
    tamper(engine, "DELETE FROM identity_events WHERE seq = 3")
    with engine.db.read() as s:
        _checked, breaks = trail.verify(s)
    assert any(b.seq is None and "removed at the end" in b.reason for b in breaks)
    assert "identity trail, chain head" in str(breaks[-1])


def test_the_trail_is_append_only_on_postgresql(campaign_orgs):
    engine = campaign_orgs
    if engine.db.dialect != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    engine.create_organisation("admin", "nb", "宁波市", parent="zj")
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    for statement in ("UPDATE identity_events SET kind = 'x'", "DELETE FROM identity_events",
                      "TRUNCATE identity_events"):
        with pytest.raises(DBAPIError, match="append-only"), engine.db.engine.begin() as conn:
            conn.execute(text(statement))


def test_the_admin_pages_read_functions(campaign_orgs):
    engine = campaign_orgs
    with engine.db.read() as s:
        assert [o.code for o in admin.organisations(s)][:3] == ["ministry", "js", "nj"]
        assert "zj_staff" in [u.username for u in admin.users(s)]
        with pytest.raises(NotFound):
            admin.user_named(s, "ghost")
