"""Linked cases' messages with a correlation (issue 16: the modeler edits a message's
bpmn:correlationProperty): a delivered message carries the correlation computed from its
content by the receiving event's retrieval expression, so a case that has taken one message
takes later ones only when they match, as SpiffWorkflow correlates messages."""
import pytest
from sqlalchemy import select

from engine.storage import CaseMessage

from tests.conftest import DATA
from tests.engine.commands.test_links import with_anhui

PARENT = (DATA / "links" / "parent.bpmn").read_text()


def parent_correlated_on(expression: str) -> bytes:
    prop = ('<bpmn:correlationProperty id="CorrelationProperty_child_done" name="child_done">'
            '<bpmn:correlationPropertyRetrievalExpression messageRef="Message_child_done">'
            f'<bpmn:formalExpression>{expression}</bpmn:formalExpression>'
            '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>')
    anchor = '<bpmn:message id="Message_progress" name="progress" />'
    assert anchor in PARENT
    return PARENT.replace(anchor, anchor + prop).encode()


@pytest.fixture
def linked(campaign_orgs):
    engine = with_anhui(campaign_orgs)
    engine.deploy({"child.bpmn": (DATA / "links" / "child.bpmn").read_bytes()})
    return engine


def run_children(engine, scores):
    parent = engine.start_case("links_parent", "ministry_officer", {"orgs": [s for s, _ in scores]})
    for org, score in scores:
        staff = f"{org}_staff"
        engine.complete_task(engine.tasks(staff)[0].id, staff, {"score": score})
    return parent.case_id


def statuses(engine, name="child_done"):
    with engine.db.read() as s:
        return [(m.payload["organisation"], m.status) for m in s.scalars(
            select(CaseMessage).where(CaseMessage.name == name).order_by(CaseMessage.id))]


def test_messages_that_match_the_correlation_all_reach_the_case(linked):
    engine = linked
    engine.deploy({"parent.bpmn": parent_correlated_on("process_key")})
    parent = run_children(engine, [("zj", 90), ("js", 75), ("ah", 60)])
    assert statuses(engine) == [("zj", "delivered"), ("js", "delivered"), ("ah", "delivered")]
    assert [t.element_id for t in engine.tasks("ministry_officer", case_id=parent)] == ["Review"]


def test_a_message_that_does_not_match_waits_and_the_case_takes_only_its_own(linked):
    engine = linked
    engine.deploy({"parent.bpmn": parent_correlated_on("organisation")})
    parent = run_children(engine, [("zj", 90), ("js", 75)])
    # The first child's message sets the case's correlation (organisation zj); the second
    # does not match it, so it stays pending and the parent keeps waiting.
    assert statuses(engine) == [("zj", "delivered"), ("js", "pending")]
    assert engine.tasks("ministry_officer", case_id=parent) == []
    assert engine.case_data(parent, "admin")["done"] == [["zj", 90]]
