"""Names in two languages (processes/README.md, "Names in two languages"): every named
element of the campaign's models has an English name, a deployed version knows each
element's labels, and a diagram can be given in English (issue 17)."""
import re
from dataclasses import replace

import pytest
from lxml import etree

from engine.models.bpmn.labels import in_english, labels_of
from engine.models.bpmn.parsing import load_documents
from engine.models.files import collect
from tests.conftest import ROOT

CJK = re.compile(r"[\u3400-\u9fff]")
SKIP = {"lane", "laneSet", "collaboration", "definitions"}  # a lane's name is a role code


@pytest.fixture
def settings(settings):
    return replace(settings, forms_dir=ROOT / "forms")  # the campaign's forms beside its models


def _models():
    return collect([ROOT / "processes"])


def test_every_named_element_of_the_campaign_has_an_english_name():
    missing = []
    for model in _models():
        documents, problems = load_documents(model.files)
        assert not problems
        labels = labels_of(documents)
        for document in documents:
            if document.kind != "bpmn":
                continue
            for element in document.root.iter():
                if not isinstance(element.tag, str) or etree.QName(element).localname in SKIP:
                    continue
                name = element.get("name") or ""
                if CJK.search(name) and not labels[element.get("id")].name_en:
                    missing.append(f"{document.name}: {element.get('id')} {name}")
    assert not missing, missing


def test_every_task_with_instructions_has_english_instructions():
    for model in _models():
        documents, _problems = load_documents(model.files)
        labels = labels_of(documents)
        for document in documents:
            for task in document.root.iter("{*}userTask"):
                if any(True for _ in task.iter("{*}instructionsForEndUser")):
                    assert labels[task.get("id")].instructions_en, task.get("id")


def test_a_diagram_in_english_keeps_everything_but_the_names():
    model = next(m for m in _models() if "activity.bpmn" in m.files)
    original = model.files["activity.bpmn"]
    english = in_english(original)
    assert b'name="Complete the activity plan' in english
    assert 'name="完善活动方案'.encode() not in english
    assert b'name="city"' in english  # lanes keep their role codes
    assert etree.fromstring(english).get("id") == etree.fromstring(original).get("id")


def test_a_deployed_version_knows_its_labels(engine):
    model = next(m for m in _models() if "activity.bpmn" in m.files)
    engine.deploy(model.files)
    with engine.db.read() as session:
        from engine.reading.inbox import latest_versions
        bundle = engine.specs.get(session, latest_versions(session)["activity"])
    label = bundle.label("Task_PlanActivity")
    assert label.name.startswith("完善活动方案") and label.name_en.startswith("Complete the activity plan")
    assert label.name_in("en") == label.name_en and label.name_in("zh_CN") == label.name
    assert bundle.label(bundle.primary_process_id).name_en == "Regional cultural linkage activity"
    assert bundle.label("no-such-element").name_in("en") == ""
