"""Drafts: half-done work on a task's form, kept per person until they submit it."""
from sqlalchemy import delete, select

from engine.errors import InvalidData
from engine.storage import Draft

MAX_DRAFT_CHARS = 1_000_000


def save_draft(session, username: str, task_id: str, data: dict, now) -> Draft:
    if not isinstance(data, dict):
        raise InvalidData("A draft must be a JSON object.")
    if len(repr(data)) > MAX_DRAFT_CHARS:
        raise InvalidData("The draft is too large to keep.")
    draft = session.scalar(select(Draft).where(Draft.username == username, Draft.task_id == task_id))
    if draft is None:
        draft = Draft(username=username, task_id=task_id)
        session.add(draft)
    draft.data, draft.updated_at = data, now
    session.flush()
    return draft


def load_draft(session, username: str, task_id: str) -> Draft | None:
    return session.scalar(select(Draft).where(Draft.username == username, Draft.task_id == task_id))


def discard_draft(session, username: str, task_id: str) -> None:
    session.execute(delete(Draft).where(Draft.username == username, Draft.task_id == task_id))


def discard_task_drafts(session, task_id: str) -> None:
    """Once a task is completed nobody's draft of it is of use."""
    session.execute(delete(Draft).where(Draft.task_id == task_id))
