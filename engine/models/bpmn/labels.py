"""What a person calls a model's elements, in each language.

One rule (processes/README.md, "Names in two languages"): an element's `name` is its
Chinese label; its English label is the `spiffworkflow:property` named `name_en` in the
element's `extensionElements`. A user task's English instructions sit beside its
`spiffworkflow:instructionsForEndUser` as the property `instructions_en`. A lane's name
is a role code; its label comes from the campaign's vocabulary, not from here.
"""
from dataclasses import dataclass

from engine.models.bpmn.xml import BPMN_NS, SPIFF_NS

_PROPERTY = f"{{{SPIFF_NS}}}property"
_EXTENSIONS = f"{{{BPMN_NS}}}extensionElements"
_INSTRUCTIONS = f"{{{SPIFF_NS}}}instructionsForEndUser"
#: English texts of an element, by the property that holds them.
ENGLISH = ("name_en", "instructions_en")


@dataclass(frozen=True)
class Label:
    name: str = ""
    name_en: str = ""
    instructions_en: str = ""

    def name_in(self, locale) -> str:
        if str(locale or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


def labels_of(documents) -> dict[str, Label]:
    """Every element with an id and a name or an English text, by id, across the BPMN
    documents of one model (parsed lxml roots, as engine.models.bpmn.parsing loads them)."""
    labels = {}
    for document in documents:
        if getattr(document, "kind", "bpmn") != "bpmn":
            continue
        for element in document.root.iter():
            element_id = element.get("id") if isinstance(element.tag, str) else None
            if not element_id or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            english = _english(element)
            name = element.get("name") or ""
            if name or english:
                labels[element_id] = Label(name, english.get("name_en", ""),
                                           english.get("instructions_en", ""))
    return labels


def _english(element) -> dict:
    found = {}
    for extensions in element.findall(_EXTENSIONS):
        for prop in extensions.iter(_PROPERTY):
            if prop.get("name") in ENGLISH and prop.get("value"):
                found[prop.get("name")] = prop.get("value")
    return found


def in_english(xml) -> bytes:
    """A BPMN document with each element's `name` replaced by its English name (for a
    diagram shown to an English reader); elements without one keep their name."""
    from lxml import etree

    from engine.models.bpmn.xml import parse_xml
    root = parse_xml(xml if isinstance(xml, bytes) else str(xml).encode("utf-8"), "diagram.bpmn")
    for element in root.iter():
        if not isinstance(element.tag, str) or element.get("name") is None:
            continue
        english = _english(element).get("name_en")
        if english:
            element.set("name", english)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
