"""A person's time zone: the instance's until they choose one; an unknown name is refused
and changes nothing (issue 17)."""
import pytest

from engine import InvalidData, NotFound


def test_a_person_chooses_a_time_zone_and_a_bad_one_changes_nothing(campaign_orgs):
    engine = campaign_orgs
    engine.create_user("admin", "newcomer", "a-long-pass", "Newcomer", [("zj", "province")])
    assert engine.actor("newcomer").time_zone == engine.settings.time_zone  # the instance's
    engine.set_time_zone("newcomer", "Europe/Berlin")
    assert engine.actor("newcomer").time_zone == "Europe/Berlin"
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "x" * 100):
        with pytest.raises(InvalidData, match="not a time zone"):
            engine.set_time_zone("newcomer", bad)
    assert engine.actor("newcomer").time_zone == "Europe/Berlin"
    with pytest.raises(NotFound):
        engine.set_time_zone("ghost", "Asia/Shanghai")
