"""Reminders reach people: in-app rows per recipient, and email through a real SMTP server."""
import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from engine.people import notifications
from engine.storage import AuditEvent, Notification, Timer, User
from tests.conftest import bpmn


class _Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    with socket.socket() as probe:  # a free port (aiosmtpd cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _reminder_case(engine, clock):
    engine.deploy(bpmn("timers/remind.bpmn"))
    deadline = clock.now() + timedelta(hours=5)
    return engine.start_case("remind", "zj_staff", {"plan_deadline": deadline.isoformat()},
                             organisation="zj")


def test_reminder_rows_are_per_recipient_and_marked_read_by_their_owner(campaign_orgs, clock):
    engine = campaign_orgs
    started = _reminder_case(engine, clock)
    clock.advance(timedelta(hours=1, seconds=1))
    engine.fire_due_timers()
    zj_staff, zj_staff2 = engine.actor("zj_staff"), engine.actor("zj_staff2")
    with engine.db.transaction() as s:
        [mine] = notifications.notifications_for(s, zj_staff, unread_only=True)
        [theirs] = notifications.notifications_for(s, zj_staff2)
        assert mine.case_id == started.case_id and mine.kind == "reminder"
        assert "Submit the plan" in mine.subject and "Reminder" in mine.body
        assert notifications.notifications_for(s, engine.actor("js_staff")) == []
        assert notifications.mark_read(s, zj_staff, [mine.id, theirs.id], clock.now()) == 1
    with engine.db.transaction() as s:
        assert notifications.notifications_for(s, zj_staff, unread_only=True) == []
        assert len(notifications.notifications_for(s, zj_staff)) == 1
        assert notifications.notifications_for(s, zj_staff2, unread_only=True)[0].id == theirs.id


def test_a_claimed_task_reminds_only_its_assignee(campaign_orgs, clock):
    engine = campaign_orgs
    started = _reminder_case(engine, clock)
    engine.claim_task(started.tasks[0], "zj_staff2")
    clock.advance(timedelta(hours=1, seconds=1))
    engine.fire_due_timers()
    with engine.db.transaction() as s:
        assert s.scalars(select(Notification.username)).all() == ["zj_staff2"]


def test_reminders_are_emailed_when_smtp_is_configured(campaign_orgs, clock, smtp_server):
    port, inbox = smtp_server
    engine = campaign_orgs
    engine.settings = engine.settings.with_(smtp_host="127.0.0.1", smtp_port=port,
                                            smtp_sender="liandong@example.org")
    with engine.db.transaction() as s:
        s.scalar(select(User).where(User.username == "zj_staff")).email = "zj@example.org"
        s.scalar(select(User).where(User.username == "ministry_officer")).email = "mo@example.org"
    _reminder_case(engine, clock)
    clock.advance(timedelta(hours=1, seconds=1))
    assert engine.fire_due_timers().emailed == 1  # the timer loop mails; zj_staff2 has no address
    assert notifications.deliver_email(engine) == 0  # each mail goes once
    [(to, message)] = inbox.messages
    assert to == ["zj@example.org"] and message["From"] == "liandong@example.org"
    assert "Submit the plan" in message["Subject"] and "催办提醒" in message.get_content()

    clock.advance(timedelta(hours=5))
    assert engine.fire_due_timers().emailed == 2  # the last reminder and the escalation
    assert sorted(to[0] for to, _ in inbox.messages[1:]) == ["mo@example.org", "zj@example.org"]
    with engine.db.transaction() as s:
        rows = s.scalars(select(Notification).where(Notification.username == "zj_staff2")).all()
        assert rows and all(r.emailed_at is None for r in rows)


def test_an_unreachable_smtp_server_loses_no_mail(campaign_orgs, clock, smtp_server):
    port, inbox = smtp_server
    engine = campaign_orgs
    with engine.db.transaction() as s:
        s.scalar(select(User).where(User.username == "zj_staff")).email = "zj@example.org"
    _reminder_case(engine, clock)
    clock.advance(timedelta(hours=1, seconds=1))
    engine.fire_due_timers()
    engine.settings = engine.settings.with_(smtp_host="127.0.0.1", smtp_port=1)
    assert notifications.deliver_email(engine) == 0
    engine.settings = engine.settings.with_(smtp_port=port)
    assert notifications.deliver_email(engine) == 1 and len(inbox.messages) == 1


def test_a_timer_that_fell_due_while_suspended_fires_on_resume_with_its_trace(campaign_orgs, clock):
    """Resuming fires the overdue reminder itself: the same row, event and reminders as when
    the scheduler fires it."""
    engine = campaign_orgs
    started = _reminder_case(engine, clock)
    engine.suspend_case(started.case_id, "admin", "waiting for the budget")
    clock.advance(timedelta(hours=1, minutes=30))
    assert engine.fire_due_timers().claimed == 0
    engine.resume_case(started.case_id, "admin", "budget came")
    with engine.db.transaction() as s:
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == started.case_id)
                          .order_by(AuditEvent.seq)).all()
        fired = s.scalars(select(AuditEvent).where(AuditEvent.kind == "timer_fired")).one()
        rows = s.scalars(select(Timer).where(Timer.element_id == "Remind").order_by(Timer.id)).all()
        recipients = sorted(s.scalars(select(Notification.username)).all())
    assert kinds[-2:] == ["case_resumed", "timer_fired"]
    assert fired.element_id == "Remind" and fired.detail["late_seconds"] == 1800.0
    assert [(r.status, r.id == fired.detail["timer_id"]) for r in rows] == \
        [("cancelled", False), ("fired", True), ("pending", False)]  # suspended, fired, next cycle
    assert recipients == ["zj_staff", "zj_staff2"]
    assert engine.fire_due_timers().fired == 0  # fired once
