"""Approval workflows through the canonical API: requesting approval, the four actions, bulk
actions, the pending list, and the queue rules that request approval by themselves.

The enterprise queue parks tickets in `pending_approval` while a request is open and moves them
to `open` when approved and `closed` when rejected (its `settings.approval`); its `change` and
`request` ticket types require a manager's approval on creation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import API, assert_problem, failing_fields
from tests.conftest import StatementCounter
from tests.factories import PASSWORD, make_team, make_ticket, make_user
from ticketry.config import Settings
from ticketry.domain.auth import service as auth
from ticketry.domain.events.models import Event
from ticketry.domain.history.models import TicketHistory
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.users.models import Role, Team, User


@dataclass
class Actor:
    user: User
    headers: dict[str, str]

    @property
    def id(self) -> str:
        return str(self.user.public_id)


@dataclass
class Desk:
    """An enterprise desk: the ops team (manager, lead, engineer), a second team with its own
    manager, an administrator and a requester."""

    ops: Team
    finance: Team
    admin: Actor
    manager: Actor
    finance_manager: Actor
    lead: Actor
    engineer: Actor
    requester: Actor
    stranger: Actor


@pytest.fixture
def desk(session: Session, settings: Settings) -> Desk:
    admin = make_user(session, Role.ADMIN)
    ops = make_team(session, admin, key="ops")
    finance = make_team(session, admin, key="finance")
    people = {
        "admin": admin,
        "manager": make_user(session, Role.MANAGER, team=ops),
        "finance_manager": make_user(session, Role.MANAGER, team=finance),
        "lead": make_user(session, Role.TEAM_LEAD, team=ops),
        "engineer": make_user(session, Role.DEVOPS_ENGINEER, team=ops),
        "requester": make_user(session, Role.END_USER),
        "stranger": make_user(session, Role.END_USER),
    }

    def actor(user: User) -> Actor:
        issued = auth.login(session, settings=settings, username=user.username,
                            password=PASSWORD)
        return Actor(user, {"Authorization": f"Bearer {issued.access_token}"})

    actors = {name: actor(user) for name, user in people.items()}
    session.commit()
    return Desk(ops=ops, finance=finance, **actors)


def enterprise_ticket(session: Session, desk: Desk, **fields: Any) -> str:
    """An open enterprise incident of the requester's (incidents need no approval)."""
    values: dict[str, Any] = {"queue": "enterprise", "ticket_type": "incident",
                              "title": "New laptop for the VPN project",
                              "description": "Budget approval needed."}
    values.update(fields)
    ticket = make_ticket(session, desk.requester.user, **values)
    session.commit()
    return str(ticket.public_id)


def request_approval(client: TestClient, who: Actor, ticket: str, **body: Any) -> Any:
    body.setdefault("reason", "Spend above 1000 EUR")
    response = client.post(f"{API}/tickets/{ticket}/approvals", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


def act(client: TestClient, who: Actor, approval: int | str, action: str,
        **body: Any) -> Any:
    return client.post(f"{API}/approvals/{approval}/action", json={"action": action, **body},
                       headers=who.headers)


def ticket_status(client: TestClient, who: Actor, ticket: str) -> str:
    response = client.get(f"{API}/tickets/{ticket}", headers=who.headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def workflow(client: TestClient, who: Actor, ticket: str) -> Any:
    response = client.get(f"{API}/tickets/{ticket}/approvals", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def approval_events(session: Session, ticket: str) -> list[Event]:
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.public_id == uuid.UUID(ticket)))
    return list(session.scalars(select(Event).where(
        Event.ticket_id == ticket_id, Event.type.like("approval.%")).order_by(Event.id)))


def history(session: Session, ticket: str) -> list[tuple[str, str | None, str | None]]:
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.public_id == uuid.UUID(ticket)))
    return [(h.change_type, h.field, h.new_value) for h in session.scalars(
        select(TicketHistory).where(TicketHistory.ticket_id == ticket_id)
        .order_by(TicketHistory.id))]


# --------------------------------------------------------------------------- flows


def test_sequential_approvers_decide_in_order_and_approval_reopens_the_ticket(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)

    request = request_approval(client, desk.engineer, ticket, mode="sequential",
                               approvers=[desk.manager.id, desk.finance_manager.id])

    first, second = request["approvals"]
    assert (request["status"], request["mode"], request["previous_status"]) == \
        ("pending", "sequential", "open")
    assert (first["status"], second["status"]) == ("pending", "waiting")
    assert first["escalate_at"] is not None
    assert second["activated_at"] is None
    assert ticket_status(client, desk.engineer, ticket) == "pending_approval"

    early = act(client, desk.finance_manager, second["number"], "approve")
    assert_problem(early, 422, "APPROVAL_NOT_ACTIONABLE")

    step = act(client, desk.manager, first["number"], "approve", comments="Fine by ops")
    assert step.status_code == 200, step.text
    assert step.json()["approval"]["status"] == "approved"
    assert step.json()["approval"]["request_status"] == "pending"
    assert [a["id"] for a in step.json()["activated"]] == [second["id"]]
    assert ticket_status(client, desk.engineer, ticket) == "pending_approval"

    last = act(client, desk.finance_manager, second["id"], "approve",
               conditions=["Budget limit: $5000", "Timeline: 2 weeks"])
    assert last.status_code == 200, last.text
    assert last.json()["approval"]["conditions"] == ["Budget limit: $5000", "Timeline: 2 weeks"]
    assert last.json()["approval"]["request_status"] == "approved"
    assert ticket_status(client, desk.engineer, ticket) == "open"
    assert workflow(client, desk.requester, ticket)["status"] == "approved"


def test_parallel_approvers_are_asked_at_once_and_all_must_approve(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)

    request = request_approval(client, desk.engineer, ticket, mode="parallel",
                               approvers=[desk.manager.id, desk.finance_manager.id])

    first, second = request["approvals"]
    assert (first["status"], second["status"]) == ("pending", "pending")
    assert act(client, desk.finance_manager, second["number"], "approve").status_code == 200
    assert workflow(client, desk.engineer, ticket)["status"] == "pending"
    assert ticket_status(client, desk.engineer, ticket) == "pending_approval"

    done = act(client, desk.manager, first["number"], "approve")

    assert done.json()["approval"]["request_status"] == "approved"
    assert ticket_status(client, desk.engineer, ticket) == "open"


def test_one_rejection_rejects_the_request_and_cancels_the_other_approvals(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    request = request_approval(client, desk.engineer, ticket, mode="parallel",
                               approvers=[desk.manager.id, desk.finance_manager.id])
    first, second = request["approvals"]

    rejected = act(client, desk.manager, first["number"], "reject", comments="Not this year")

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["approval"]["request_status"] == "rejected"
    # The enterprise queue closes rejected tickets (settings.approval.outcome_status.reject).
    assert ticket_status(client, desk.engineer, ticket) == "closed"
    statuses = [a["status"] for a in workflow(client, desk.engineer, ticket)["requests"][0][
        "approvals"]]
    assert statuses == ["rejected", "cancelled"]
    assert_problem(act(client, desk.finance_manager, second["number"], "approve"), 422,
                   "APPROVAL_NOT_ACTIONABLE")


def test_without_an_outcome_status_the_ticket_returns_to_where_it_was(
        client: TestClient, session: Session, desk: Desk) -> None:
    """The devops queue has no approval settings: its tickets keep their status."""
    ticket = make_ticket(session, desk.requester.user, priority="P3")
    session.commit()
    client.patch(f"{API}/tickets/{ticket.public_id}/status", json={"status": "OPEN"},
                 headers=desk.manager.headers)

    request = request_approval(client, desk.engineer, str(ticket.public_id),
                               approvers=[desk.manager.id])
    assert ticket_status(client, desk.engineer, str(ticket.public_id)) == "OPEN"
    act(client, desk.manager, request["approvals"][0]["number"], "approve")

    assert workflow(client, desk.engineer, str(ticket.public_id))["status"] == "approved"
    assert ticket_status(client, desk.engineer, str(ticket.public_id)) == "OPEN"


def test_delegating_hands_the_decision_to_another_user_in_the_same_place(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    request = request_approval(client, desk.engineer, ticket,
                               approvers=[desk.manager.id, desk.finance_manager.id])
    first = request["approvals"][0]

    delegated = act(client, desk.manager, first["number"], "delegate",
                    delegate_to=desk.lead.id, comments="Lead knows the budget")

    assert delegated.status_code == 200, delegated.text
    assert delegated.json()["approval"]["status"] == "delegated"
    (replacement,) = delegated.json()["activated"]
    assert replacement["approver"]["id"] == desk.lead.id
    assert (replacement["status"], replacement["position"], replacement["delegated_from"]) == \
        ("pending", first["position"], first["number"])
    pending = client.get(f"{API}/approvals/pending", headers=desk.lead.headers).json()
    assert [a["id"] for a in pending["items"]] == [replacement["id"]]
    assert_problem(act(client, desk.manager, first["number"], "approve"), 422,
                   "APPROVAL_NOT_ACTIONABLE")

    step = act(client, desk.lead, replacement["number"], "approve")
    assert step.json()["activated"][0]["approver"]["id"] == desk.finance_manager.id


def test_delegating_needs_an_active_delegate_other_than_the_approver(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    number = request_approval(client, desk.engineer, ticket,
                              approvers=[desk.manager.id])["approvals"][0]["number"]

    for body in ({}, {"delegate_to": desk.manager.id}, {"delegate_to": str(uuid.uuid4())},
                 {"delegate_to": desk.stranger.id}):
        body = assert_problem(act(client, desk.manager, number, "delegate", **body), 422)
        assert failing_fields(body) == {"delegate_to"}


def test_asking_for_information_keeps_the_approval_open_and_asks_the_requester(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    number = request_approval(client, desk.engineer, ticket,
                              approvers=[desk.manager.id])["approvals"][0]["number"]

    asked = act(client, desk.manager, number, "request_info", comments="Which cost centre?")

    assert asked.status_code == 200, asked.text
    assert asked.json()["approval"]["status"] == "info_requested"
    assert asked.json()["approval"]["request_status"] == "pending"
    comments = client.get(f"{API}/tickets/{ticket}/comments", headers=desk.requester.headers)
    assert [c["content"] for c in comments.json()] == ["Which cost centre?"]
    processed = approval_events(session, ticket)[-1]
    assert processed.type == "approval.processed"
    assert processed.data["approval"]["action"] == "request_info"
    assert desk.requester.user.id in processed.data["notify_user_ids"]
    pending = client.get(f"{API}/approvals/pending", headers=desk.manager.headers).json()
    assert [a["number"] for a in pending["items"]] == [number]

    approved = act(client, desk.manager, number, "approve")
    assert approved.json()["approval"]["request_status"] == "approved"


def test_asking_for_information_needs_the_question(client: TestClient, session: Session,
                                                   desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    number = request_approval(client, desk.engineer, ticket,
                              approvers=[desk.manager.id])["approvals"][0]["number"]

    body = assert_problem(act(client, desk.manager, number, "request_info"), 422,
                          "VALIDATION_ERROR")

    assert failing_fields(body) == {"comments"}


# --------------------------------------------------------------------------- who may


def test_only_the_approver_may_act_and_only_once(client: TestClient, session: Session,
                                                 desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    number = request_approval(client, desk.engineer, ticket,
                              approvers=[desk.manager.id])["approvals"][0]["number"]

    assert_problem(act(client, desk.finance_manager, number, "approve"), 403, "NOT_AN_APPROVER")
    assert_problem(act(client, desk.engineer, number, "reject"), 403, "NOT_AN_APPROVER")
    assert_problem(act(client, desk.stranger, number, "approve"), 404, "APPROVAL_NOT_FOUND")
    assert act(client, desk.manager, number, "approve").status_code == 200
    twice = assert_problem(act(client, desk.manager, number, "approve"), 422,
                           "APPROVAL_NOT_ACTIONABLE")
    assert "already approved" in twice["detail"]


def test_a_role_approval_is_for_that_role_or_above_in_its_team(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    request = request_approval(client, desk.engineer, ticket, approver_role="MANAGER",
                               team_id=str(desk.ops.public_id))
    (approval,) = request["approvals"]
    assert (approval["approver"], approval["approver_role"], approval["approver_team"]["key"]) \
        == (None, "MANAGER", "ops")

    def pending_for(who: Actor) -> list[str]:
        page = client.get(f"{API}/approvals/pending", headers=who.headers).json()
        return [a["id"] for a in page["items"]]

    assert pending_for(desk.manager) == [approval["id"]]
    assert pending_for(desk.admin) == [approval["id"]]
    assert pending_for(desk.finance_manager) == []
    assert pending_for(desk.lead) == []
    assert_problem(act(client, desk.finance_manager, approval["number"], "approve"), 403)
    assert_problem(act(client, desk.lead, approval["number"], "approve"), 403)

    done = act(client, desk.admin, approval["number"], "approve")
    assert done.status_code == 200, done.text
    assert done.json()["approval"]["acted_by"]["id"] == desk.admin.id


def test_only_agents_may_request_approval(client: TestClient, session: Session,
                                          desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)

    response = client.post(f"{API}/tickets/{ticket}/approvals", headers=desk.requester.headers,
                           json={"approvers": [desk.manager.id], "reason": "Please"})

    assert_problem(response, 403)
    assert workflow(client, desk.requester, ticket) == {"ticket_id": ticket, "status": "none",
                                                        "requests": []}


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"approvers": ["{inactive}"]}, "approvers.0", "is not active"),
    ({"approvers": ["{stranger}"]}, "approvers.0", "cannot view this ticket"),
    ({"approvers": ["{unknown}"]}, "approvers.0", "does not exist"),
    ({"approvers": ["{manager}", "{manager}"]}, "approvers", "twice"),
    ({"approvers": []}, "approvers", "at least one"),
    ({"approvers": ["{manager}"], "approver_role": "MANAGER"}, "approvers", "not both"),
    ({}, "approvers", "either"),
    ({"approver_role": "END_USER"}, "approver_role", "must be one of"),
    ({"approver_role": "ADMIN", "team_id": "{finance}"}, "approver_role",
     "no active user can approve as ADMIN in team finance"),
    ({"approvers": ["{manager}"], "team_id": "{ops}"}, "team_id", "approver_role"),
    ({"approver_role": "MANAGER", "team_id": "{unknown}"}, "team_id", "does not exist"),
])
def test_approvers_must_be_active_users_who_can_see_the_ticket(
        client: TestClient, session: Session, desk: Desk, body: dict[str, Any], field: str,
        message: str) -> None:
    inactive = make_user(session, Role.MANAGER, is_active=False)
    ticket = enterprise_ticket(session, desk)
    names = {"{inactive}": str(inactive.public_id), "{stranger}": desk.stranger.id,
             "{unknown}": str(uuid.uuid4()), "{manager}": desk.manager.id,
             "{ops}": str(desk.ops.public_id), "{finance}": str(desk.finance.public_id)}

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(v) for v in value]
        return names.get(value, value) if isinstance(value, str) else value

    response = client.post(f"{API}/tickets/{ticket}/approvals", headers=desk.engineer.headers,
                           json={"reason": "Spend", **{k: fill(v) for k, v in body.items()}})

    problem = assert_problem(response, 422)
    assert field in failing_fields(problem)
    assert message in problem["detail"]
    assert ticket_status(client, desk.engineer, ticket) == "open"


def test_a_ticket_has_one_open_request_at_a_time(client: TestClient, session: Session,
                                                 desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    request_approval(client, desk.engineer, ticket, approvers=[desk.manager.id])

    again = client.post(f"{API}/tickets/{ticket}/approvals", headers=desk.engineer.headers,
                        json={"approvers": [desk.finance_manager.id], "reason": "Again"})

    assert_problem(again, 409, "APPROVAL_ALREADY_PENDING")


def test_whoever_sees_the_ticket_sees_its_approvals(client: TestClient, session: Session,
                                                    desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    request = request_approval(client, desk.engineer, ticket, approvers=[desk.manager.id])
    approval = request["approvals"][0]

    for who in (desk.requester, desk.engineer):
        assert workflow(client, who, ticket)["requests"][0]["id"] == request["id"]
        by_number = client.get(f"{API}/approvals/{approval['number']}", headers=who.headers)
        by_id = client.get(f"{API}/approvals/{approval['id']}", headers=who.headers)
        assert by_number.json() == by_id.json()
        assert by_id.json()["ticket"]["key"].startswith("TKT-")
    assert_problem(client.get(f"{API}/tickets/{ticket}/approvals",
                              headers=desk.stranger.headers), 404)
    assert_problem(client.get(f"{API}/approvals/{approval['id']}",
                              headers=desk.stranger.headers), 404, "APPROVAL_NOT_FOUND")
    assert_problem(client.get(f"{API}/approvals/not-an-id", headers=desk.engineer.headers), 404)


# --------------------------------------------------------------------------- bulk, pending list


def test_bulk_action_reports_each_approval_and_keeps_the_successes(
        client: TestClient, session: Session, desk: Desk) -> None:
    tickets = [enterprise_ticket(session, desk, title=f"Purchase {n}") for n in range(3)]
    numbers = [request_approval(client, desk.engineer, t, approvers=[desk.manager.id])[
        "approvals"][0]["number"] for t in tickets]
    act(client, desk.manager, numbers[2], "reject")
    unknown = max(numbers) + 1000

    response = client.post(f"{API}/approvals/bulk-action", headers=desk.manager.headers,
                           json={"approval_ids": [numbers[0], numbers[2], unknown, numbers[1]],
                                 "action": "approve", "comments": "Routine"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["succeeded"], body["failed"]) == (2, 2)
    assert [(r["approval_id"], r["ok"], r["error_code"]) for r in body["results"]] == [
        (numbers[0], True, None), (numbers[2], False, "APPROVAL_NOT_ACTIONABLE"),
        (unknown, False, "APPROVAL_NOT_FOUND"), (numbers[1], True, None)]
    assert [ticket_status(client, desk.engineer, t) for t in tickets] == \
        ["open", "open", "closed"]


def test_bulk_action_refuses_a_stranger_item_by_item(client: TestClient, session: Session,
                                                     desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    approval = request_approval(client, desk.engineer, ticket,
                                approvers=[desk.manager.id])["approvals"][0]

    response = client.post(f"{API}/approvals/bulk-action", headers=desk.finance_manager.headers,
                           json={"approval_ids": [approval["id"]], "action": "reject"})

    assert response.json()["results"] == [{
        "approval_id": approval["id"], "ok": False, "status": None,
        "error_code": "NOT_AN_APPROVER",
        "message": "only the approver may act on this approval"}]
    assert workflow(client, desk.engineer, ticket)["status"] == "pending"


def test_pending_list_filters_by_priority_team_and_queue(client: TestClient, session: Session,
                                                         desk: Desk) -> None:
    urgent = enterprise_ticket(session, desk, priority="critical", team_id=desk.ops.public_id)
    routine = enterprise_ticket(session, desk, priority="low")
    devops = make_ticket(session, desk.requester.user, priority="P2")
    session.commit()
    for ticket in (urgent, routine, str(devops.public_id)):
        request_approval(client, desk.engineer, ticket, approvers=[desk.manager.id])

    def keys(**params: Any) -> list[str]:
        response = client.get(f"{API}/approvals/pending", params=params,
                              headers=desk.manager.headers)
        assert response.status_code == 200, response.text
        return [a["ticket"]["id"] for a in response.json()["items"]]

    assert keys() == [urgent, routine, str(devops.public_id)]
    assert keys(priority="critical") == [urgent]
    assert keys(priority="critical,low") == [urgent, routine]
    assert keys(team_id=str(desk.ops.public_id)) == [urgent]
    assert keys(queue="devops") == [str(devops.public_id)]
    page = client.get(f"{API}/approvals/pending", params={"size": 2, "page": 2},
                      headers=desk.manager.headers).json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 1)
    item = page["items"][0]
    assert item["ticket"]["priority"] == "P2"
    assert item["ticket"]["title"] == devops.title
    assert client.get(f"{API}/approvals/pending",
                      headers=desk.engineer.headers).json()["total"] == 0


def test_pending_list_costs_the_same_statements_for_more_approvals(
        client: TestClient, session: Session, desk: Desk, statements: StatementCounter) -> None:
    def cost() -> int:
        with statements.counting() as counter:
            response = client.get(f"{API}/approvals/pending", headers=desk.manager.headers)
        assert response.status_code == 200
        return counter.count

    for _ in range(2):
        request_approval(client, desk.engineer, enterprise_ticket(session, desk),
                         approvers=[desk.manager.id])
    few = cost()
    for _ in range(4):
        request_approval(client, desk.engineer, enterprise_ticket(session, desk),
                         approver_role="MANAGER")

    assert cost() == few


# --------------------------------------------------------------------------- events, history


def test_every_step_is_history_and_an_event(client: TestClient, session: Session,
                                            desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    request = request_approval(client, desk.engineer, ticket,
                               approvers=[desk.manager.id, desk.finance_manager.id])
    first = request["approvals"][0]
    act(client, desk.manager, first["number"], "approve", comments="ok")
    act(client, desk.finance_manager, request["approvals"][1]["number"], "reject",
        comments="No budget")

    session.expire_all()
    assert history(session, ticket)[1:] == [
        ("APPROVAL_REQUESTED", "approval", desk.manager.user.username),
        ("STATUS_CHANGE", "status", "pending_approval"),
        ("APPROVAL_PROCESSED", "approve", desk.manager.user.username),
        ("APPROVAL_REQUESTED", "approval", desk.finance_manager.user.username),
        ("APPROVAL_PROCESSED", "reject", desk.finance_manager.user.username),
        ("APPROVAL_PROCESSED", "request", "rejected"),
        ("CLOSED", "status", "closed"),
    ]
    events = approval_events(session, ticket)
    assert [e.type for e in events] == ["approval.requested", "approval.processed",
                                        "approval.requested", "approval.processed"]
    requested = events[0].data
    assert requested["ticket"]["status"] == "pending_approval"
    assert requested["approval"] == {
        "id": first["number"], "public_id": first["id"], "request_id": request["id"],
        "reason": "Spend above 1000 EUR",
        "approver": {"id": desk.manager.user.id, "public_id": desk.manager.id,
                     "username": desk.manager.user.username},
        "approver_role": None, "notify_user_ids": [desk.manager.user.id],
        "requested_by_id": desk.engineer.user.id}
    rejected = events[3].data
    assert rejected["approval"]["action"] == "reject"
    assert rejected["approval"]["comments"] == "No budget"
    assert rejected["approval"]["acted_by"]["id"] == desk.finance_manager.user.id
    assert rejected["request"] == {"public_id": request["id"], "status": "rejected"}
    assert rejected["notify_user_ids"] == [desk.engineer.user.id, desk.requester.user.id]
    assert rejected["ticket"]["status"] == "closed"
    status_events = session.scalars(select(Event).where(
        Event.type == "ticket.status_changed", Event.ticket_id == events[0].ticket_id)
        .order_by(Event.id)).all()
    assert [(e.actor_id, e.data["new_status"]) for e in status_events] == [
        (desk.engineer.user.id, "pending_approval"), (desk.finance_manager.user.id, "closed")]


def test_history_tells_the_approval_steps_in_the_readers_language(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    number = request_approval(client, desk.engineer, ticket,
                              approvers=[desk.manager.id])["approvals"][0]["number"]
    act(client, desk.manager, number, "approve")

    def sentences(language: str) -> list[str]:
        response = client.get(f"{API}/tickets/{ticket}/history",
                              headers={**desk.engineer.headers, "Accept-Language": language})
        return [entry["message"] for entry in response.json()]

    assert sentences("en")[1:] == [
        f"Approval was requested from {desk.manager.user.username}",
        'The status was changed to "Pending approval"',
        "The approval was granted",
        "The approval request was approved",
        'The status was changed to "Open"',
    ]
    assert sentences("ca")[3] == "S'ha concedit l'aprovació"
    assert sentences("es")[4] == "La solicitud de aprobación se ha aprobado"


# --------------------------------------------------------------------------- queue rules


def test_creating_a_change_asks_a_manager_of_the_tickets_team(
        client: TestClient, session: Session, desk: Desk) -> None:
    response = client.post(f"{API}/tickets", headers=desk.requester.headers, json={
        "queue": "enterprise", "ticket_type": "change", "title": "Upgrade the core switch",
        "description": "Saturday night window.", "team_id": str(desk.ops.public_id)})

    assert response.status_code == 201, response.text
    ticket = response.json()["id"]
    assert response.json()["status"] == "pending_approval"
    flow = workflow(client, desk.requester, ticket)
    (request,) = flow["requests"]
    assert (request["status"], request["previous_status"], request["reason"]) == \
        ("pending", "open", "Tickets of this type need a manager's approval")
    (approval,) = request["approvals"]
    assert (approval["approver_role"], approval["approver_team"]["key"]) == ("MANAGER", "ops")
    pending = client.get(f"{API}/approvals/pending", headers=desk.manager.headers).json()
    assert [a["ticket"]["id"] for a in pending["items"]] == [ticket]

    act(client, desk.manager, approval["number"], "approve")
    assert ticket_status(client, desk.requester, ticket) == "open"


def test_without_a_manager_in_the_team_any_manager_or_admin_approves(
        client: TestClient, session: Session, desk: Desk) -> None:
    empty = make_team(session, desk.admin.user, key="facilities")
    session.commit()

    response = client.post(f"{API}/tickets", headers=desk.requester.headers, json={
        "queue": "enterprise", "ticket_type": "request", "title": "Desk for a new starter",
        "description": "Monday.", "team_id": str(empty.public_id)})

    ticket = response.json()["id"]
    (approval,) = workflow(client, desk.requester, ticket)["requests"][0]["approvals"]
    assert (approval["approver_role"], approval["approver_team"]) == ("MANAGER", None)
    for who in (desk.manager, desk.finance_manager, desk.admin):
        pending = client.get(f"{API}/approvals/pending", headers=who.headers).json()
        assert [a["ticket"]["id"] for a in pending["items"]] == [ticket]


def test_tickets_of_types_without_approval_are_not_held(client: TestClient, session: Session,
                                                       desk: Desk) -> None:
    response = client.post(f"{API}/tickets", headers=desk.requester.headers, json={
        "queue": "enterprise", "ticket_type": "incident", "title": "VPN drops",
        "description": "Every ten minutes."})

    assert response.json()["status"] == "open"
    assert workflow(client, desk.requester, response.json()["id"])["status"] == "none"


def test_moving_a_ticket_into_pending_approval_requests_approval(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk, team_id=desk.ops.public_id)

    moved = client.patch(f"{API}/tickets/{ticket}", json={"status": "pending_approval"},
                         headers=desk.manager.headers)

    assert moved.status_code == 200, moved.text
    flow = workflow(client, desk.engineer, ticket)
    assert flow["status"] == "pending"
    assert flow["requests"][0]["previous_status"] == "open"
    assert flow["requests"][0]["requested_by"]["id"] == desk.manager.id
    assert flow["requests"][0]["approvals"][0]["approver_team"]["key"] == "ops"


def test_the_status_route_into_pending_approval_requests_approval_too(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    client.patch(f"{API}/tickets/{ticket}/status", json={"status": "in_progress"},
                 headers=desk.manager.headers)

    moved = client.patch(f"{API}/tickets/{ticket}/status", json={"status": "pending_approval"},
                         headers=desk.manager.headers)

    assert moved.status_code == 200, moved.text
    request = workflow(client, desk.engineer, ticket)["requests"][0]
    assert (request["status"], request["previous_status"]) == ("pending", "in_progress")
    act(client, desk.manager, request["approvals"][0]["number"], "reject")
    assert ticket_status(client, desk.engineer, ticket) == "closed"


def test_taking_a_ticket_out_of_pending_approval_withdraws_its_request(
        client: TestClient, session: Session, desk: Desk) -> None:
    ticket = enterprise_ticket(session, desk)
    approval = request_approval(client, desk.engineer, ticket,
                                approvers=[desk.finance_manager.id])["approvals"][0]

    moved = client.patch(f"{API}/tickets/{ticket}", json={"status": "in_progress"},
                         headers=desk.manager.headers)

    assert moved.status_code == 200, moved.text
    flow = workflow(client, desk.engineer, ticket)
    assert flow["status"] == "cancelled"
    assert flow["requests"][0]["approvals"][0]["status"] == "cancelled"
    assert_problem(act(client, desk.finance_manager, approval["number"], "approve"), 422,
                   "APPROVAL_NOT_ACTIONABLE")
    # A new request may follow the withdrawn one.
    assert request_approval(client, desk.engineer, ticket,
                            approvers=[desk.manager.id])["status"] == "pending"


def test_requesting_approval_follows_the_lifecycle(client: TestClient, session: Session,
                                                   desk: Desk) -> None:
    """A resolved enterprise ticket cannot go to pending_approval."""
    ticket = enterprise_ticket(session, desk)
    client.patch(f"{API}/tickets/{ticket}/status", json={"status": "resolved"},
                 headers=desk.manager.headers)

    response = client.post(f"{API}/tickets/{ticket}/approvals", headers=desk.engineer.headers,
                           json={"approvers": [desk.manager.id], "reason": "Late"})

    assert_problem(response, 422, "INVALID_STATUS_TRANSITION")
    assert workflow(client, desk.engineer, ticket)["status"] == "none"
