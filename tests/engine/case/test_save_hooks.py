"""The case unit is handed what it runs: save hooks from the Engine instead of imports from
the commands above it."""
import pytest
from sqlalchemy import select

from engine.case.opened import SaveHook
from engine.commands import links
from engine.storage import Case
from tests.conftest import bpmn


@pytest.fixture
def deployed(campaign_orgs):
    campaign_orgs.deploy(bpmn("plan_review.bpmn"))
    return campaign_orgs


def test_the_engine_hands_the_case_unit_its_save_hooks(deployed):
    """A hook runs at every save of every command, inside the command's transaction: its
    `before` sees the status the save starts from, a truthy answer gets a new case's row
    inserted before `after` runs (a hook's rows may refer to it)."""
    assert deployed.save_hooks == (links.SAVE_HOOK,)
    seen = []

    def before(opened):
        seen.append(("before", opened.status_before_save))
        return True

    def after(opened, before_said):
        in_db = opened.session.scalar(select(Case.id).where(Case.id == opened.case.id))
        seen.append(("after", before_said, in_db == opened.case.id, opened.case.status))

    deployed.save_hooks += (SaveHook(before=before, after=after),)
    started = deployed.start_case("plan_review", "zj_staff")
    assert seen == [("before", "running"), ("after", True, True, "running")]
    seen.clear()
    done = deployed.complete_task(started.tasks[0], "zj_staff", {"title": "ab", "budget": 1})
    assert done.tasks and seen == [("before", "running"), ("after", True, True, "running")]
    seen.clear()
    deployed.terminate_case(started.case_id, "zj_staff")
    assert seen == [("before", "terminated"), ("after", True, True, "terminated")]


def test_a_failing_save_hook_rolls_the_command_back(deployed):
    def after(opened, _before):
        raise RuntimeError("the hook broke")

    deployed.save_hooks += (SaveHook(before=lambda opened: None, after=after),)
    with pytest.raises(Exception, match="the hook broke"):
        deployed.start_case("plan_review", "zj_staff")
    with deployed.session() as s:
        assert s.scalars(select(Case)).all() == []

