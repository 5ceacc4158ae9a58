"""The case unit is handed what it runs: save hooks from the Engine instead of imports from
the commands above it, writes sent when a command's case is done with instead of by a
listener on every Session in the process, no flags left on the session."""
import importlib
import inspect
import pkgutil

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionEvents

import engine.case
import engine.commands
from engine.case.opened import SaveHook, open_case
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
    deployed.terminate_case(started.case_id, "system", "test")
    assert seen == [("before", "terminated"), ("after", True, True, "terminated")]


def test_a_failing_save_hook_rolls_the_command_back(deployed):
    def after(opened, _before):
        raise RuntimeError("the hook broke")

    deployed.save_hooks += (SaveHook(before=lambda opened: None, after=after),)
    with pytest.raises(Exception, match="the hook broke"):
        deployed.start_case("plan_review", "zj_staff")
    with deployed.db.transaction() as s:
        assert s.scalars(select(Case)).all() == []


def test_a_case_opened_and_left_without_a_record_writes_nothing_more(deployed):
    """Writing on leaving sends only what changed: a body that changes nothing costs no
    statement and moves no lock_version."""
    started = deployed.start_case("plan_review", "zj_staff")
    with deployed.db.transaction() as s:
        before = s.get(Case, started.case_id).lock_version
    with deployed.db.transaction() as session:
        with open_case(deployed, session, started.case_id, deployed.system_actor):
            pass
        assert set(session.info) == {"audit_keys"}  # no seal due: nothing was appended
    with deployed.db.transaction() as s:
        assert s.get(Case, started.case_id).lock_version == before


def test_a_case_left_by_an_error_sends_nothing(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    with pytest.raises(RuntimeError):
        with deployed.db.transaction() as session:
            with open_case(deployed, session, started.case_id, deployed.system_actor) as opened:
                opened.case.title = "不该写入"
                raise RuntimeError("the body failed")
    with deployed.db.transaction() as s:
        assert s.get(Case, started.case_id).title != "不该写入"


def _modules(package):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        yield importlib.import_module(info.name)


def test_no_listener_on_every_session_from_the_case_unit_or_the_commands():
    """Writes and flags are passed along, never hung on all Sessions of the process."""
    names = [name for name in dir(SessionEvents) if not name.startswith("_") and name != "dispatch"]
    found = []
    for module in [*_modules(engine.case), *_modules(engine.commands)]:
        for fn_name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__:
                continue
            found += [f"{module.__name__}.{fn_name} on {name}" for name in names
                      if event.contains(Session, name, fn)]
    assert found == []
