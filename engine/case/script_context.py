"""What SpiffArena's script helpers (engine.sandbox.spiffarena) know about the running case.

`attach(opened)` puts a maker on the open case's workflow; a helper calls it with its task
and gets a `ScriptContext` built from the case row, the acting person and the settings,
with a `CaseDirectory` for the look-ups that need the database (in the command's own
session). Nothing is built until a helper is called, so the hot path pays one attribute.
"""
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine.people.notifications import role_holders
from engine.runtime import workflow as runtime
from engine.sandbox.spiffarena import CONTEXT_ATTRIBUTE, ScriptContext, user_dict
from engine.storage import Attachment, Case, CaseTask, Membership, User
from engine.storage.files import FileStore


class CaseDirectory:
    """The database look-ups of one open case, in its command's session."""

    def __init__(self, opened):
        self.opened = opened

    def user(self, username: str) -> dict | None:
        if not username:
            return None
        session = self.opened.session
        row = session.execute(select(User.id, User.display_name, User.email)
                              .where(User.username == username)).first()
        if row is None:
            return None
        groups = session.scalars(select(Membership.role).where(Membership.user_id == row.id))
        return user_dict(username, row.display_name, row.email, groups, row.id)

    def group_members(self, group: str) -> list[str]:
        return role_holders(self.opened.session, [group], self.opened.case.org_path)

    def last_completer(self, process_id, element_id: str) -> str | None:
        """Who last completed `element_id` (in process `process_id`, when given) in this
        case: a completion in this very command first, then the task rows."""
        opened = self.opened
        done = [task for task in opened.workflow.get_tasks(state=TaskState.COMPLETED)
                if runtime.element_id(task) == element_id
                and (not process_id or task.workflow.spec.name == process_id)]
        for task in sorted(done, key=lambda t: t.last_state_change, reverse=True):
            if str(task.id) in opened.finished_by:
                return opened.finished_by[str(task.id)]
            if opened.case.id is not None:
                by = opened.session.scalar(select(CaseTask.completed_by).where(
                    CaseTask.id == str(task.id), CaseTask.state == "completed"))
                if by:
                    return by
        return None

    def file(self, file_id: int, with_content: bool = False) -> dict | None:
        """A file attached to this case: name, content type, size (and its bytes)."""
        if self.opened.case.id is None:
            return None
        row = self.opened.session.scalar(select(Attachment).where(
            Attachment.id == file_id, Attachment.case_id == self.opened.case.id))
        if row is None:
            return None
        found = {"id": row.id, "name": row.original_name, "content_type": row.content_type,
                 "size": row.size}
        if with_content:
            found["content"] = FileStore.of(self.opened.engine.settings).path(row.sha256).read_bytes()
        return found

    def task_id(self, element_id: str):
        """(id, done by people?) of the latest task of `element_id` in the workflow."""
        found = None
        for task in self.opened.workflow.get_tasks():
            if runtime.element_id(task) == element_id:
                found = (str(task.id), bool(getattr(task.task_spec, "manual", False)))
        return found


def actor_dict(actor, email=None) -> dict:
    return user_dict(actor.username, actor.display_name, email, actor.roles)


def _task_view(task) -> dict:
    spec = task.task_spec
    return {"id": str(task.id), "bpmn_identifier": runtime.element_id(task),
            "bpmn_process_identifier": task.workflow.spec.name,
            "name": getattr(spec, "bpmn_name", None) or runtime.element_id(task),
            "state": task.state.name if hasattr(task.state, "name") else str(task.state),
            "data": {k: v for k, v in task.data.items() if not k.startswith("_")}}


def case_id(opened) -> int:
    """The case's id, drawn now for a new case whose id is not reserved yet (SQLite: the
    command's IMMEDIATE transaction holds the write lock, so the next id is ours)."""
    case = opened.case
    if case.id is None and not opened.row_written:
        case.id = (opened.session.scalar(select(func.max(Case.id))) or 0) + 1
    return case.id


def build(opened, task) -> ScriptContext:
    settings, case = opened.engine.settings, opened.case
    directory = CaseDirectory(opened)
    return ScriptContext(
        case_id=case_id(opened), process_key=case.process_key,
        process_id=opened.workflow.spec.name,
        environment=settings.environment, frontend_url=settings.public_url,
        time_zone=settings.time_zone,
        user=directory.user(opened.actor.username) or actor_dict(opened.actor),
        initiator=case.started_by, directory=directory, task=_task_view(task))


def attach(opened, workflow) -> None:
    setattr(workflow, CONTEXT_ATTRIBUTE, lambda task: build(opened, task))
