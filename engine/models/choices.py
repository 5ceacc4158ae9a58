"""What the modeler's properties panel offers to choose from: the roles a lane may mean, the
deployed processes a call activity may call and the deployed decisions a business rule task
may evaluate. Read-only; the forms come from the FormStore (`form_names`)."""
from dataclasses import dataclass

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import ModelError
from engine.models.bpmn.xml import parse_xml
from engine.people.identity import ADMIN, AUDITOR
from engine.storage.identity import Membership
from engine.storage.processes import ProcessFile, ProcessModel, ProcessVersion

#: Roles that grant rights in the application, not work in a lane.
NOT_LANES = {ADMIN, AUDITOR}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str

    def to_dict(self) -> dict:
        return {"value": self.value, "label": self.label}


def _latest_versions(session: Session):
    newest = select(ProcessVersion.process_model_id, func.max(ProcessVersion.version).label("v")) \
        .group_by(ProcessVersion.process_model_id).subquery()
    return session.execute(
        select(ProcessModel.key, ProcessVersion.id, ProcessVersion.primary_process_id, ProcessVersion.name)
        .join(ProcessVersion, ProcessVersion.process_model_id == ProcessModel.id)
        .join(newest, (newest.c.process_model_id == ProcessModel.id) & (newest.c.v == ProcessVersion.version))
        .order_by(ProcessModel.key)).all()


def _deployed_files(session: Session, suffix: str):
    """(key, file name, content) of the deployed models' latest versions' files."""
    for key, version_id, _, _ in _latest_versions(session):
        for name, content in session.execute(select(ProcessFile.name, ProcessFile.content).where(
                ProcessFile.process_version_id == version_id, ProcessFile.name.like(f"%{suffix}"))):
            try:
                yield key, parse_xml(content, name)
            except ModelError:
                continue


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def lane_roles(session: Session) -> list[Choice]:
    """Roles someone holds and roles the deployed models' lanes name, sorted."""
    held = set(session.scalars(select(Membership.role).distinct())) - NOT_LANES
    for _, root in _deployed_files(session, ".bpmn"):
        held |= {e.get("name") for e in root.iter() if _local(e) == "lane" and e.get("name")}
    return [Choice(r, r) for r in sorted(held)]


def called_processes(session: Session) -> list[Choice]:
    """Deployed processes by the process id a call activity names, labelled with the key."""
    return [Choice(process_id, f"{name or key} ({key})")
            for key, _, process_id, name in _latest_versions(session)]


def decisions(session: Session) -> list[Choice]:
    """Decisions in the deployed models' latest versions, by id."""
    found = {}
    for key, root in _deployed_files(session, ".dmn"):
        for element in root.iter():
            if _local(element) == "decision" and element.get("id"):
                found.setdefault(element.get("id"), Choice(
                    element.get("id"), f"{element.get('name') or element.get('id')} ({key})"))
    return sorted(found.values(), key=lambda c: c.value)


def form_names(forms) -> list[str]:
    """The form files a user task may name (the FormStore `forms`)."""
    return sorted(p.name for p in forms.directory.glob("*.json"))


def modeler_choices(session: Session, forms) -> dict:
    return {"roles": [c.to_dict() for c in lane_roles(session)],
            "processes": [c.to_dict() for c in called_processes(session)],
            "decisions": [c.to_dict() for c in decisions(session)],
            "forms": form_names(forms)}
