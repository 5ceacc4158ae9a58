"""Reminders and escalations: who a firing timer tells, in the app and by email.

How a model asks for one (see also processes/README-timers.md):

* A timer event with the extension property `notify` (`<spiffworkflow:property name="notify"
  value="ministry"/>`; several roles separated by commas) tells everyone who holds one of
  those roles on the case's branch of the hierarchy (the case's organisation, its
  ancestors, or below it: the same rule as lanes, see engine.people.identity).
* A non-interrupting boundary timer on a user task without `notify` is a reminder to the
  people who may work on that task: its assignee if claimed, else its lane's role holders,
  else the person who started the case.
* A `notify` timer that interrupts its task is an escalation; every other one a reminder.
  Other timers tell nobody.

The in-app rows are written in the firing transaction, so a reminder exists exactly when
its timer fired. Email goes out after the commit (`deliver_email`, run on every scheduler
tick when `Settings.smtp_host` is set); a node that dies between sending and recording may
send one mail twice, never lose one.
"""
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from engine.people.identity import lane_role
from engine.storage import CaseTask, Membership, Notification, Organisation, User

log = logging.getLogger(__name__)

EMAIL_BATCH = 100


@dataclass(frozen=True)
class Plan:
    """Whom a timer will tell, worked out while its task is still waiting."""

    kind: str  # reminder | escalation
    usernames: tuple
    subject: str
    task_id: str | None


def plan_for_timer(session: Session, case, workflow, timer_task) -> Plan | None:
    spec = timer_task.task_spec
    properties = (getattr(spec, "extensions", None) or {}).get("properties") or {}
    roles = [r.strip() for r in (properties.get("notify") or "").split(",") if r.strip()]
    attached = _attached_user_task(timer_task)
    interrupting = bool(getattr(spec, "cancel_activity", False)) and attached is not None
    name = spec.bpmn_name or spec.bpmn_id
    if roles:
        users = role_holders(session, roles, case.org_path)
        kind = "escalation" if interrupting else "reminder"
        return Plan(kind, tuple(users), f"{case.title}: {name}",
                    str(attached.id) if attached is not None else None)
    if attached is None or interrupting:
        return None
    row = session.get(CaseTask, str(attached.id))
    if row is not None and row.assignee:
        users = [row.assignee]
    elif lane_role(attached.task_spec.lane):
        users = role_holders(session, [lane_role(attached.task_spec.lane)], case.org_path)
    else:
        users = [case.started_by]
    task_name = attached.task_spec.bpmn_name or attached.task_spec.bpmn_id
    return Plan("reminder", tuple(users), f"{case.title}: {task_name} — {name}", str(attached.id))


def _attached_user_task(timer_task):
    """The user task a boundary timer sits on, if it is one."""
    if not isinstance(timer_task.task_spec, BoundaryEvent) or timer_task.parent is None:
        return None
    for sibling in timer_task.parent.children:
        if sibling is not timer_task and getattr(sibling.task_spec, "manual", False):
            return sibling
    return None


def role_holders(session: Session, roles, org_path: str) -> list[str]:
    """Active users holding one of `roles` on the branch of `org_path`."""
    query = (select(User.username).join(Membership, Membership.user_id == User.id)
             .join(Organisation, Organisation.id == Membership.organisation_id)
             .where(User.active.is_(True), Membership.role.in_(list(roles)),
                    or_(literal(org_path).startswith(Organisation.path),
                        Organisation.path.startswith(org_path)))
             .distinct().order_by(User.username))
    return list(session.scalars(query))


def send_planned(session: Session, engine, case, timer_row, plan: Plan | None) -> list[Notification]:
    """Write one in-app notification per recipient of `plan` (inside the firing transaction)."""
    if plan is None:
        return []
    rows = [Notification(username=user, case_id=case.id, task_id=plan.task_id,
                         timer_id=timer_row.id, element_id=timer_row.element_id,
                         kind=plan.kind, subject=plan.subject[:300],
                         body=_body(case, timer_row, plan), created_at=engine.now())
            for user in plan.usernames]
    session.add_all(rows)
    return rows


def _body(case, timer_row, plan: Plan) -> str:
    what = "催办提醒 / Reminder" if plan.kind == "reminder" else "逾期升级 / Escalation"
    return (f"{what}\n案卷 / Case {case.id}: {case.title}\n"
            f"环节 / Step: {timer_row.element_id}\n"
            f"到期 / Due: {timer_row.due_at:%Y-%m-%d %H:%M} UTC")


def notifications_for(session: Session, actor, unread_only: bool = False, limit: int = 100):
    """The actor's notifications, newest first."""
    query = select(Notification).where(Notification.username == actor.username)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc(),
                                               Notification.id.desc()).limit(limit)))


def unread_count(session: Session, username: str) -> int:
    """The number on the bell."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.username == username, Notification.read_at.is_(None)))


def mark_read_command(engine, user, notification_ids=()) -> int:
    """The command behind the bell's "mark read": the ids given, or every unread one of the
    person's; one transaction. Auditors may (it touches no case)."""
    actor = engine.actor(user)
    with engine.db.transaction() as session:
        ids = list(notification_ids) or [n.id for n in notifications_for(session, actor, unread_only=True)]
        return mark_read(session, actor, ids, engine.now())


def mark_read(session: Session, actor, notification_ids, now) -> int:
    """Mark the actor's own notifications read; others' ids are ignored. Returns the count."""
    rows = session.scalars(select(Notification).where(
        Notification.id.in_(list(notification_ids)), Notification.username == actor.username,
        Notification.read_at.is_(None))).all()
    for row in rows:
        row.read_at = now
    return len(rows)


def deliver_email(engine, limit: int = EMAIL_BATCH) -> int:
    """Mail notifications not yet mailed to users who have an address; returns mails sent.

    The rows are locked (SKIP LOCKED) while their mail goes out, so two schedulers do not
    mail the same one.
    """
    settings = engine.settings
    if not settings.smtp_host:
        return 0
    sent = 0
    with engine.db.transaction() as session:
        pending = session.execute(
            select(Notification, User.email).join(User, User.username == Notification.username)
            .where(and_(Notification.emailed_at.is_(None), Notification.email_error.is_(None),
                        User.email.is_not(None), User.email != ""))
            .order_by(Notification.id).limit(limit)
            .with_for_update(of=Notification, skip_locked=True)).all()
        if not pending:
            return 0
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                for row, address in pending:
                    try:
                        smtp.send_message(_message(settings.smtp_sender, address, row))
                        row.emailed_at = engine.now()
                        sent += 1
                    except smtplib.SMTPException as err:
                        row.email_error = f"{err.__class__.__name__}: {err}"[:2000]
        except (OSError, smtplib.SMTPException) as err:
            log.warning("SMTP server %s:%s unavailable: %s", settings.smtp_host,
                        settings.smtp_port, err)
    return sent


def _message(sender: str, address: str, row: Notification) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = sender, address
    message["Subject"] = row.subject
    message.set_content(row.body)
    return message
