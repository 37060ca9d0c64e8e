"""Who is told what: the fan-out of events into notifications.

Changes are made through the API and the worker fans them out, as in production. Events of
features built elsewhere (SLA breaches, approvals, disabled webhooks) are written with
`emit_event` in their documented shape.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.conftest import StatementCounter
from tests.domain.notifications.helpers import drain, inbox, kinds
from tests.factories import login, make_ticket, make_user
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.events.models import Event
from ticketry.domain.events.service import EventType, emit_event, user_ref
from ticketry.domain.jobs.models import Job
from ticketry.domain.notifications.fanout import notify_events
from ticketry.domain.notifications.models import Notification
from ticketry.domain.tickets.models import Ticket, TicketWatcher
from ticketry.domain.users.models import Role, Team, User

API = "/api/v1"


def watch(session: Session, ticket: Ticket, *users: User) -> None:
    session.add_all([TicketWatcher(ticket_id=ticket.id, user_id=u.id) for u in users])
    session.flush()


def comment(client: TestClient, author: User, ticket: Ticket, content: str,
            **extra: Any) -> None:
    response = client.post(f"{API}/tickets/{ticket.public_id}/comments",
                           headers=login(client, author), json={"content": content, **extra})
    assert response.status_code == 201, response.text


def assign(client: TestClient, actor: User, ticket: Ticket, assignee: User) -> None:
    response = client.put(f"{API}/tickets/{ticket.public_id}/assign", headers=login(client, actor),
                          json={"assignee_id": str(assignee.public_id)})
    assert response.status_code == 200, response.text


@pytest.fixture
def ticket(session: Session, requester: User, engineer: User) -> Ticket:
    """The requester's ticket, assigned to the engineer (that assignment already told)."""
    ticket = make_ticket(session, requester, title="Disk full on build agent")
    ticket.assignee_id = engineer.id
    session.flush()
    return ticket


# --------------------------------------------------------------------------- assignment


def test_assigning_a_ticket_tells_the_new_assignee_and_nobody_else(
        client: TestClient, session: Session, db: Database, settings: Settings,
        requester: User, engineer: User, manager: User) -> None:
    ticket = make_ticket(session, requester, title="VPN drops every hour")

    assign(client, manager, ticket, engineer)
    drain(db, settings)

    [note] = inbox(session, engineer)
    assert note.kind == "assigned"
    assert note.title == f"{ticket.key} was assigned to you"
    assert note.body == f"{manager.username} assigned {ticket.key} to you: VPN drops every hour"
    assert note.ticket_id == ticket.id
    assert note.read_at is None
    assert note.data["actor"] == {"id": str(manager.public_id), "username": manager.username}
    assert note.data["event"]["type"] == "ticket.assigned"
    assert kinds(session, requester, manager) == {requester.username: [], manager.username: []}


def test_the_author_of_a_change_is_never_told_about_it(
        client: TestClient, session: Session, db: Database, settings: Settings,
        requester: User, engineer: User) -> None:
    """An engineer taking a ticket and commenting on it hears nothing of either."""
    ticket = make_ticket(session, requester)
    watch(session, ticket, engineer)

    assign(client, engineer, ticket, engineer)
    comment(client, engineer, ticket, "On it, @" + engineer.username)
    drain(db, settings)

    assert inbox(session, engineer) == []
    assert kinds(session, requester) == {requester.username: ["commented"]}


# --------------------------------------------------------------------------- comments


def test_a_comment_tells_the_requester_the_assignee_and_the_watchers(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User, lead: User, manager: User) -> None:
    watch(session, ticket, lead)
    long_text = "Log: " + "0123456789" * 40

    comment(client, manager, ticket, long_text)
    drain(db, settings)

    assert kinds(session, requester, engineer, lead, manager) == {
        requester.username: ["commented"], engineer.username: ["commented"],
        lead.username: ["commented"], manager.username: []}
    [note] = inbox(session, requester)
    assert note.title == f"{manager.username} commented on {ticket.key}"
    prefix = f"{manager.username} commented on {ticket.key}: "
    assert note.body.startswith(prefix + "Log: 0123456789")
    # The comment is quoted up to 200 characters.
    assert len(note.body) == len(prefix) + 200
    assert note.body.endswith("…")


def test_a_mention_is_one_notification_of_kind_mentioned_even_for_a_watcher(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User, lead: User) -> None:
    watch(session, ticket, lead)

    comment(client, requester, ticket, f"@{lead.username} can you look? Also @{engineer.username}")
    drain(db, settings)

    assert kinds(session, lead, engineer) == {lead.username: ["mentioned"],
                                              engineer.username: ["mentioned"]}
    [note] = inbox(session, lead)
    assert note.title == f"{requester.username} mentioned you on {ticket.key}"
    assert note.data["comment"]["is_internal"] is False


def test_mentioned_agents_hear_of_comments_on_tickets_they_do_not_follow(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, engineer: User, other_engineer: User) -> None:
    comment(client, engineer, ticket, "Handing over", mentions=[other_engineer.username])
    drain(db, settings)

    assert kinds(session, other_engineer) == {other_engineer.username: ["mentioned"]}


def test_mentions_of_unknown_deactivated_or_unauthorised_people_are_ignored(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, engineer: User) -> None:
    gone = make_user(session, Role.DEVOPS_ENGINEER, is_active=False)
    outsider = make_user(session, Role.END_USER)

    comment(client, engineer, ticket,
            f"cc @nobody-by-that-name @{gone.username} @{outsider.username}")
    drain(db, settings)

    assert kinds(session, gone, outsider) == {gone.username: [], outsider.username: []}
    assert session.scalar(select(func.count()).select_from(Notification)) == 1  # the requester


def test_an_internal_comment_reaches_agents_only(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User, lead: User, manager: User) -> None:
    """The requester watches their own ticket and is mentioned, yet hears nothing of an
    internal note; the agents involved do."""
    watch(session, ticket, requester, lead)

    comment(client, manager, ticket, f"Internal: @{requester.username} is on the VIP list",
            is_internal=True)
    drain(db, settings)

    assert kinds(session, requester, engineer, lead) == {
        requester.username: [], engineer.username: ["commented"], lead.username: ["commented"]}
    [note] = inbox(session, lead)
    assert note.data["comment"]["is_internal"] is True


def test_a_watcher_who_can_no_longer_see_the_ticket_hears_nothing(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, other_engineer: User) -> None:
    """Watching is no permission: an agent who became an end user sees only their own tickets."""
    watch(session, ticket, other_engineer)
    other_engineer.role = Role.END_USER.value
    session.flush()

    comment(client, requester, ticket, "Any news?")
    drain(db, settings)

    assert inbox(session, other_engineer) == []


def test_deactivated_people_are_not_notified(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User) -> None:
    engineer.is_active = False
    session.flush()

    comment(client, requester, ticket, "Any news?")
    drain(db, settings)

    assert inbox(session, engineer) == []


# --------------------------------------------------------------------------- status


def test_a_status_change_tells_the_requester_the_assignee_and_the_watchers(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User, lead: User) -> None:
    watch(session, ticket, lead)

    response = client.patch(f"{API}/tickets/{ticket.public_id}/status",
                            headers=login(client, engineer), json={"status": "IN_PROGRESS"})
    assert response.status_code == 200, response.text
    drain(db, settings)

    assert kinds(session, requester, engineer, lead) == {
        requester.username: ["status_changed"], engineer.username: [],
        lead.username: ["status_changed"]}
    [note] = inbox(session, requester)
    assert note.title == f"{ticket.key} is now IN_PROGRESS"
    assert note.data["status"] == {"old": "NEW", "new": "IN_PROGRESS"}


# --------------------------------------------------------------------------- SLA breaches


def breach(session: Session, ticket: Ticket, target: str = "resolution") -> None:
    emit_event(session, type=EventType.TICKET_SLA_BREACHED, actor=None, ticket=ticket, data={
        "sla": {"target": target, "due_at": "2026-11-25T10:00:00+00:00",
                "breached_at": "2026-11-25T10:00:05+00:00"}})
    session.flush()


def test_an_sla_breach_tells_the_assignee_and_the_watchers(
        session: Session, db: Database, settings: Settings, ticket: Ticket,
        requester: User, engineer: User, lead: User, manager: User) -> None:
    watch(session, ticket, manager)

    breach(session, ticket)
    drain(db, settings)

    assert kinds(session, engineer, manager, requester, lead) == {
        engineer.username: ["sla_breached"], manager.username: ["sla_breached"],
        requester.username: [], lead.username: []}
    [note] = inbox(session, engineer)
    assert note.title == f"{ticket.key} missed its resolution target"
    assert note.data["sla"]["due_at"] == "2026-11-25T10:00:00+00:00"


def test_a_breach_on_an_unassigned_team_ticket_goes_to_the_team_leads_and_managers(
        session: Session, db: Database, settings: Settings, requester: User, team: Team,
        other_team: Team, lead: User, engineer: User, manager: User) -> None:
    team_manager = make_user(session, Role.MANAGER, team=team)
    other_lead = make_user(session, Role.TEAM_LEAD, team=other_team)
    make_user(session, Role.TEAM_LEAD, team=team, is_active=False)
    ticket = make_ticket(session, requester)
    ticket.team_id = team.id
    session.flush()

    breach(session, ticket, "response")
    drain(db, settings)

    assert kinds(session, lead, team_manager, engineer, other_lead, manager) == {
        lead.username: ["sla_breached"], team_manager.username: ["sla_breached"],
        engineer.username: [], other_lead.username: [], manager.username: []}


def test_a_breach_on_an_unassigned_ticket_of_no_team_goes_to_the_active_managers(
        session: Session, db: Database, settings: Settings, requester: User, lead: User,
        manager: User) -> None:
    retired = make_user(session, Role.MANAGER, is_active=False)
    ticket = make_ticket(session, requester)

    breach(session, ticket)
    drain(db, settings)

    assert kinds(session, manager, retired, lead) == {
        manager.username: ["sla_breached"], retired.username: [], lead.username: []}


# --------------------------------------------------------------------------- listed people


def test_an_approval_request_tells_the_people_it_names(
        session: Session, db: Database, settings: Settings, ticket: Ticket, requester: User,
        manager: User, lead: User) -> None:
    outsider = make_user(session, Role.END_USER)
    emit_event(session, type=EventType.APPROVAL_REQUESTED, actor=requester, ticket=ticket, data={
        "approval": {"id": 7, "public_id": "0b9f3e56-1111-4a5b-9c1d-2e3f4a5b6c7d",
                     "request_id": "APR-1", "reason": "Production change",
                     "approver": user_ref(manager), "approver_role": None,
                     "notify_user_ids": [manager.id, lead.id, outsider.id, requester.id,
                                         999_999], "requested_by_id": requester.id}})
    session.flush()

    drain(db, settings)

    # The requester acted; the outsider may not see the ticket; 999999 is nobody.
    assert kinds(session, manager, lead, outsider, requester) == {
        manager.username: ["approval_requested"], lead.username: ["approval_requested"],
        outsider.username: [], requester.username: []}
    [note] = inbox(session, manager)
    assert note.title == f"Your approval is requested on {ticket.key}"
    assert note.body.endswith(": Production change")
    assert note.data["approval"]["request_id"] == "APR-1"


def test_a_processed_approval_tells_the_people_listed_at_the_top_level(
        session: Session, db: Database, settings: Settings, ticket: Ticket, requester: User,
        manager: User) -> None:
    emit_event(session, type=EventType.APPROVAL_PROCESSED, actor=manager, ticket=ticket, data={
        "approval": {"id": 7, "public_id": "0b9f3e56-1111-4a5b-9c1d-2e3f4a5b6c7d",
                     "request_id": "APR-1", "reason": None, "approver": user_ref(manager),
                     "approver_role": None, "notify_user_ids": [], "requested_by_id": None,
                     "action": "reject", "comments": "Not during the freeze", "conditions": [],
                     "acted_by": user_ref(manager)},
        "request": {"public_id": "0b9f3e56-2222-4a5b-9c1d-2e3f4a5b6c7d", "status": "rejected"},
        "notify_user_ids": [requester.id, manager.id]})
    session.flush()

    drain(db, settings)

    assert kinds(session, requester, manager) == {requester.username: ["approval_processed"],
                                                  manager.username: []}
    [note] = inbox(session, requester)
    assert note.title == f"{manager.username} rejected the request on {ticket.key}"
    assert note.body == f"{manager.username} rejected the request on {ticket.key} " \
                        f"({ticket.title}): Not during the freeze. The request is now rejected."
    assert note.data["approval"]["action"] == "reject"


def test_a_disabled_webhook_tells_its_owner_without_a_ticket(
        session: Session, db: Database, settings: Settings, engineer: User) -> None:
    emit_event(session, type=EventType.WEBHOOK_DISABLED, actor=None, data={
        "webhook": {"id": "5f0c7a52-3333-4a5b-9c1d-2e3f4a5b6c7d",
                    "url": "https://hooks.example.com/t", "owner_id": engineer.id,
                    "reason": "no successful delivery for 72 hours"},
        "notify_user_ids": [engineer.id]})
    session.flush()

    drain(db, settings)

    [note] = inbox(session, engineer)
    assert note.kind == "webhook_disabled"
    assert note.ticket_id is None
    assert note.title == "Your webhook to https://hooks.example.com/t was disabled"
    assert note.body.endswith(": no successful delivery for 72 hours")


# --------------------------------------------------------------------------- switches, limits


def test_nothing_is_notified_when_notifications_are_switched_off(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User) -> None:
    comment(client, requester, ticket, "Any news?")

    drain(db, settings.model_copy(update={"notifications_enabled": False}))

    assert inbox(session, engineer) == []
    assert session.scalar(select(Event.dispatched_at).order_by(Event.id.desc()).limit(1))


def test_events_of_a_deleted_ticket_notify_nobody(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User, admin: User) -> None:
    comment(client, requester, ticket, "Any news?")
    response = client.delete(f"{API}/tickets/{ticket.public_id}", headers=login(client, admin))
    assert response.status_code == 204

    drain(db, settings)

    assert inbox(session, engineer) == []


def test_an_event_handed_out_twice_notifies_once(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User) -> None:
    comment(client, requester, ticket, "Any news?")
    drain(db, settings)
    session.execute(update(Event).values(dispatched_at=None))

    drain(db, settings)

    assert kinds(session, engineer) == {engineer.username: ["commented"]}


def test_no_e_mail_is_queued_without_an_smtp_server(
        client: TestClient, session: Session, db: Database, settings: Settings,
        ticket: Ticket, requester: User, engineer: User) -> None:
    assert settings.smtp_host is None
    comment(client, requester, ticket, "Any news?")

    drain(db, settings)

    [note] = inbox(session, engineer)
    assert note.email_status is None
    assert session.scalar(select(Job.id).where(Job.kind == "notification.email")) is None


def test_a_batch_costs_the_same_statements_however_many_events_and_people(
        session: Session, settings: Settings, statements: StatementCounter,
        requester: User, manager: User) -> None:
    """Tickets, watchers and people are read once per batch; the notifications and their
    e-mail jobs are written in one INSERT each."""
    mailing = settings.model_copy(update={"smtp_host": "127.0.0.1"})

    def batch(size: int) -> int:
        events = []
        for _ in range(size):
            ticket = make_ticket(session, requester)
            engineer = make_user(session, Role.DEVOPS_ENGINEER)
            ticket.assignee_id = engineer.id
            watch(session, ticket, *(make_user(session, Role.TEAM_LEAD) for _ in range(3)))
            for type_, data in (
                    (EventType.COMMENT_ADDED, {"comment": {"content": "Hi", "is_internal": False},
                                               "mentions": [manager.username, "nobody"]}),
                    (EventType.TICKET_STATUS_CHANGED, {"old_status": "NEW",
                                                       "new_status": "IN_PROGRESS"}),
                    (EventType.TICKET_ASSIGNED, {"assignee": user_ref(engineer)}),
                    (EventType.TICKET_SLA_BREACHED, {"sla": {"target": "response"}})):
                events.append(emit_event(session, type=type_, actor=requester, ticket=ticket,
                                         data=data))
        session.flush()
        with statements.counting() as counter:
            written = notify_events(session, events, settings=mailing)
            used = counter.count
        # The comment: the mentioned manager, the assignee, 3 watchers (the requester wrote
        # it); the status change and the breach: assignee and watchers; the assignment: one.
        assert written == size * (5 + 4 + 1 + 4)
        return used

    assert batch(1) == batch(6)
    assert session.scalar(select(func.count()).select_from(Job)
                          .where(Job.kind == "notification.email")) == 7 * 14
