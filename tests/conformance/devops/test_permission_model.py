"""devops-service.md, "Permission Model": every bullet of every role."""

from __future__ import annotations

from tests.conformance.devops.support import (
    API,
    Actor,
    add_comment,
    assert_problem,
    assign,
    create_ticket,
    ticket_url,
    upload,
    walk,
)
from ticketry.domain.users.models import Role

# ------------------------------------------------------------------ End User


def test_end_user_creates_tickets(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert ticket["requester"]["id"] == end_user.id


def test_end_user_views_own_tickets(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert client.get(ticket_url(ticket["id"]), headers=end_user.headers).status_code == 200
    assert client.get(ticket_url(ticket["id"], "/history"),
                      headers=end_user.headers).status_code == 200


def test_end_user_sees_only_own_tickets_in_the_list(  # type: ignore[no-untyped-def]
        client, end_user: Actor, other_end_user: Actor, engineer: Actor) -> None:
    own = create_ticket(client, end_user)
    create_ticket(client, other_end_user)
    create_ticket(client, engineer)
    body = client.get(f"{API}/tickets", headers=end_user.headers).json()
    assert [t["id"] for t in body["items"]] == [own["id"]]
    assert body["total"] == 1


def test_end_user_gets_404_for_someone_elses_ticket_and_everything_under_it(  # type: ignore[no-untyped-def]
        client, end_user: Actor, other_end_user: Actor) -> None:
    theirs = create_ticket(client, other_end_user)
    comment = add_comment(client, other_end_user, theirs["id"]).json()
    attachment = upload(client, other_end_user, theirs["id"], "notes.txt", b"mine\n").json()
    headers = end_user.headers
    assert_problem(client.get(ticket_url(theirs["id"]), headers=headers), 404)
    assert_problem(client.get(ticket_url(theirs["id"], "/history"), headers=headers), 404)
    assert_problem(client.get(ticket_url(theirs["id"], "/comments"), headers=headers), 404)
    assert_problem(client.get(ticket_url(theirs["id"], "/attachments"), headers=headers), 404)
    assert_problem(add_comment(client, end_user, theirs["id"]), 404)
    assert_problem(upload(client, end_user, theirs["id"], "x.txt", b"x"), 404)
    assert_problem(client.get(f"{API}/attachments/{attachment['id']}", headers=headers), 404)
    assert_problem(client.put(f"{API}/comments/{comment['id']}", headers=headers,
                              json={"content": "hijack"}), 404)


def test_end_user_comments_on_own_tickets(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert add_comment(client, end_user, ticket["id"], "More details.").status_code == 201


def test_end_user_cannot_create_internal_comments(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert_problem(add_comment(client, end_user, ticket["id"], "psst", internal=True), 403)
    listed = client.get(ticket_url(ticket["id"], "/comments"), headers=end_user.headers).json()
    assert listed == []


def test_end_user_never_sees_internal_comments(  # type: ignore[no-untyped-def]
        client, end_user: Actor, engineer: Actor) -> None:
    ticket = create_ticket(client, end_user)
    public = add_comment(client, engineer, ticket["id"], "We are on it.").json()
    internal = add_comment(client, engineer, ticket["id"], "Customer misconfigured DNS.",
                           internal=True).json()
    seen = client.get(ticket_url(ticket["id"], "/comments"), headers=end_user.headers).json()
    assert [c["id"] for c in seen] == [public["id"]]
    assert "Customer misconfigured DNS." not in str(seen)
    history = client.get(ticket_url(ticket["id"], "/history"), headers=end_user.headers).json()
    assert internal["id"] not in str(history)
    agents = client.get(ticket_url(ticket["id"], "/comments"), headers=engineer.headers).json()
    assert [c["id"] for c in agents] == [public["id"], internal["id"]]


def test_end_user_uploads_attachments_to_own_tickets(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = upload(client, end_user, ticket["id"], "screenshot.txt", b"text\n")
    assert response.status_code == 201, response.text
    assert response.json()["uploaded_by"]["id"] == end_user.id


def test_end_user_cannot_edit_assign_resolve_or_close_tickets(  # type: ignore[no-untyped-def]
        client, end_user: Actor, engineer: Actor, admin: Actor) -> None:
    ticket = create_ticket(client, end_user)
    walk(client, admin, ticket["id"], "IN_PROGRESS")
    headers = end_user.headers
    assert_problem(client.patch(ticket_url(ticket["id"]), headers=headers,
                                json={"priority": "P1"}), 403)
    assert_problem(client.patch(ticket_url(ticket["id"], "/status"), headers=headers,
                                json={"status": "OPEN"}), 403)
    assert_problem(assign(client, end_user, ticket["id"], engineer), 403)
    assert_problem(client.post(ticket_url(ticket["id"], "/resolve"), headers=headers,
                               json={"resolution_notes": "fixed it myself"}), 403)
    assert_problem(client.post(ticket_url(ticket["id"], "/close"), headers=headers), 403)
    fetched = client.get(ticket_url(ticket["id"]), headers=headers).json()
    assert fetched["status"] == "IN_PROGRESS"
    assert fetched["priority"] == "P3"
    assert fetched["assignee"] is None


# ------------------------------------------------------------------ DevOps Engineer


def test_engineer_has_the_end_user_permissions(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, engineer)
    assert client.get(ticket_url(ticket["id"]), headers=engineer.headers).status_code == 200
    assert add_comment(client, engineer, ticket["id"]).status_code == 201
    assert upload(client, engineer, ticket["id"], "a.txt", b"a").status_code == 201


def test_engineer_views_all_tickets(  # type: ignore[no-untyped-def]
        client, engineer: Actor, end_user: Actor, other_end_user: Actor) -> None:
    first = create_ticket(client, end_user)
    second = create_ticket(client, other_end_user)
    listed = client.get(f"{API}/tickets", headers=engineer.headers).json()
    assert sorted(t["id"] for t in listed["items"]) == sorted([first["id"], second["id"]])
    assert client.get(ticket_url(first["id"]), headers=engineer.headers).status_code == 200


def test_engineer_edits_assigned_tickets(  # type: ignore[no-untyped-def]
        client, engineer: Actor, end_user: Actor, manager: Actor) -> None:
    ticket = create_ticket(client, end_user)
    assert assign(client, manager, ticket["id"], engineer).status_code == 200
    response = client.patch(ticket_url(ticket["id"]), headers=engineer.headers,
                            json={"priority": "P2", "title": "Clarified title"})
    assert response.status_code == 200, response.text
    assert response.json()["priority"] == "P2"
    assert client.patch(ticket_url(ticket["id"], "/status"), headers=engineer.headers,
                        json={"status": "IN_PROGRESS"}).status_code == 200


def test_engineer_cannot_edit_tickets_assigned_to_others_403(  # type: ignore[no-untyped-def]
        client, engineer: Actor, other_engineer: Actor, end_user: Actor, manager: Actor) -> None:
    ticket = create_ticket(client, end_user)
    assert assign(client, manager, ticket["id"], other_engineer).status_code == 200
    assert_problem(client.patch(ticket_url(ticket["id"]), headers=engineer.headers,
                                json={"priority": "P1"}), 403)
    assert_problem(client.put(ticket_url(ticket["id"]), headers=engineer.headers,
                              json={"title": "mine now", "description": "x"}), 403)
    assert_problem(client.patch(ticket_url(ticket["id"], "/status"), headers=engineer.headers,
                                json={"status": "OPEN"}), 403)
    unassigned = create_ticket(client, end_user)
    assert_problem(client.patch(ticket_url(unassigned["id"]), headers=engineer.headers,
                                json={"priority": "P1"}), 403)


def test_engineer_assigns_tickets_to_self(client, engineer: Actor, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = assign(client, engineer, ticket["id"], engineer)
    assert response.status_code == 200, response.text
    assert response.json()["assignee"]["id"] == engineer.id


def test_engineer_cannot_assign_tickets_to_someone_else_403(  # type: ignore[no-untyped-def]
        client, engineer: Actor, other_engineer: Actor, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    assert_problem(assign(client, engineer, ticket["id"], other_engineer), 403)


def test_engineer_creates_internal_comments(client, engineer: Actor, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = add_comment(client, engineer, ticket["id"], "Internal note.", internal=True)
    assert response.status_code == 201, response.text
    assert response.json()["is_internal"] is True


def test_engineer_resolves_and_closes_tickets(client, engineer: Actor, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assign(client, engineer, ticket["id"], engineer)
    walk(client, engineer, ticket["id"], "IN_PROGRESS")
    resolved = client.post(ticket_url(ticket["id"], "/resolve"), headers=engineer.headers,
                           json={"resolution_notes": "Rotated the certificate."})
    assert resolved.status_code == 200, resolved.text
    closed = client.post(ticket_url(ticket["id"], "/close"), headers=engineer.headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "CLOSED"


# ------------------------------------------------------------------ Team Lead


def test_team_lead_assigns_tickets_to_team_members(  # type: ignore[no-untyped-def]
        client, make_actor, make_team_of, end_user: Actor) -> None:
    team = make_team_of()
    lead = make_actor(Role.TEAM_LEAD, team=team)
    member = make_actor(Role.DEVOPS_ENGINEER, team=team)
    ticket = create_ticket(client, end_user)
    response = assign(client, lead, ticket["id"], member)
    assert response.status_code == 200, response.text
    assert response.json()["assignee"]["id"] == member.id


def test_team_lead_cannot_assign_to_someone_outside_the_team_403(  # type: ignore[no-untyped-def]
        client, make_actor, make_team_of, end_user: Actor) -> None:
    team, other_team = make_team_of(), make_team_of()
    lead = make_actor(Role.TEAM_LEAD, team=team)
    outsider = make_actor(Role.DEVOPS_ENGINEER, team=other_team)
    ticket = create_ticket(client, end_user)
    assert_problem(assign(client, lead, ticket["id"], outsider), 403)


def test_team_lead_edits_team_tickets(  # type: ignore[no-untyped-def]
        client, make_actor, make_team_of, end_user: Actor, manager: Actor) -> None:
    team = make_team_of()
    lead = make_actor(Role.TEAM_LEAD, team=team)
    member = make_actor(Role.DEVOPS_ENGINEER, team=team)
    ticket = create_ticket(client, end_user)
    assert assign(client, manager, ticket["id"], member).status_code == 200
    response = client.patch(ticket_url(ticket["id"]), headers=lead.headers, json={"priority": "P1"})
    assert response.status_code == 200, response.text
    assert response.json()["priority"] == "P1"


def test_team_lead_edits_tickets_that_belong_to_the_team(  # type: ignore[no-untyped-def]
        client, make_actor, make_team_of, end_user: Actor) -> None:
    team = make_team_of()
    lead = make_actor(Role.TEAM_LEAD, team=team)
    ticket = create_ticket(client, end_user, team_id=str(team.public_id))
    assert ticket["team"]["id"] == str(team.public_id)
    response = client.patch(ticket_url(ticket["id"]), headers=lead.headers,
                            json={"category": "INCIDENT"})
    assert response.status_code == 200, response.text
    assert response.json()["category"] == "INCIDENT"


def test_team_lead_cannot_edit_another_teams_tickets_403(  # type: ignore[no-untyped-def]
        client, make_actor, make_team_of, end_user: Actor, manager: Actor) -> None:
    team, other_team = make_team_of(), make_team_of()
    lead = make_actor(Role.TEAM_LEAD, team=team)
    outsider = make_actor(Role.DEVOPS_ENGINEER, team=other_team)
    ticket = create_ticket(client, end_user)
    assert assign(client, manager, ticket["id"], outsider).status_code == 200
    assert_problem(client.patch(ticket_url(ticket["id"]), headers=lead.headers,
                                json={"priority": "P1"}), 403)


def test_team_lead_has_the_engineer_permissions(  # type: ignore[no-untyped-def]
        client, make_actor, make_team_of, end_user: Actor) -> None:
    lead = make_actor(Role.TEAM_LEAD, team=make_team_of())
    ticket = create_ticket(client, end_user)
    assert client.get(f"{API}/tickets", headers=lead.headers).json()["total"] == 1
    assert assign(client, lead, ticket["id"], lead).status_code == 200
    assert add_comment(client, lead, ticket["id"], "note", internal=True).status_code == 201
    walk(client, lead, ticket["id"], "IN_PROGRESS")
    assert client.post(ticket_url(ticket["id"], "/resolve"), headers=lead.headers,
                       json={"resolution_notes": "done"}).status_code == 200


# ------------------------------------------------------------------ Manager


def test_manager_reassigns_any_ticket(  # type: ignore[no-untyped-def]
        client, make_actor, make_team_of, manager: Actor, end_user: Actor) -> None:
    first = make_actor(Role.DEVOPS_ENGINEER, team=make_team_of())
    second = make_actor(Role.DEVOPS_ENGINEER, team=make_team_of())
    ticket = create_ticket(client, end_user)
    assert assign(client, first, ticket["id"], first).status_code == 200
    response = assign(client, manager, ticket["id"], second)
    assert response.status_code == 200, response.text
    assert response.json()["assignee"]["id"] == second.id


def test_manager_edits_any_ticket(  # type: ignore[no-untyped-def]
        client, manager: Actor, engineer: Actor, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    assign(client, engineer, ticket["id"], engineer)
    response = client.patch(ticket_url(ticket["id"]), headers=manager.headers,
                            json={"priority": "P1", "category": "INCIDENT"})
    assert response.status_code == 200, response.text
    assert response.json()["priority"] == "P1"


def test_manager_views_all_teams(client, make_team_of, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    teams = [make_team_of(), make_team_of()]
    response = client.get(f"{API}/teams", headers=manager.headers)
    assert response.status_code == 200
    assert {str(t.public_id) for t in teams} <= {t["id"] for t in response.json()}


def test_manager_cannot_delete_tickets_403(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager)
    assert_problem(client.delete(ticket_url(ticket["id"]), headers=manager.headers), 403)


# ------------------------------------------------------------------ Admin


def test_admin_deletes_tickets(client, admin: Actor, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert client.delete(ticket_url(ticket["id"]), headers=admin.headers).status_code == 204
    assert_problem(client.get(ticket_url(ticket["id"]), headers=end_user.headers), 404)
    assert client.get(f"{API}/tickets", headers=end_user.headers).json()["total"] == 0


def test_admin_deletes_anyones_comments(client, admin: Actor, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    comment = add_comment(client, end_user, ticket["id"]).json()
    assert client.delete(f"{API}/comments/{comment['id']}", headers=admin.headers).status_code == 204
    assert client.get(ticket_url(ticket["id"], "/comments"), headers=end_user.headers).json() == []


def test_admin_manages_users(client, admin: Actor, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    new_user = {"username": "jane.doe", "email": "jane@example.com",
                "password": "a-long-password", "role": "DEVOPS_ENGINEER"}
    response = client.post(f"{API}/users", headers=admin.headers, json=new_user)
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "DEVOPS_ENGINEER"
    assert_problem(client.post(f"{API}/users", headers=manager.headers,
                               json={**new_user, "username": "x.y", "email": "x@example.com"}),
                   403)


def test_admin_has_all_permissions(  # type: ignore[no-untyped-def]
        client, admin: Actor, engineer: Actor, end_user: Actor) -> None:
    ticket = create_ticket(client, end_user)
    assign(client, engineer, ticket["id"], engineer)
    assert client.patch(ticket_url(ticket["id"]), headers=admin.headers,
                        json={"priority": "P1"}).status_code == 200
    assert assign(client, admin, ticket["id"], admin).status_code == 200
    assert add_comment(client, admin, ticket["id"], "n", internal=True).status_code == 201
    walk(client, admin, ticket["id"], "IN_PROGRESS")
    assert client.post(ticket_url(ticket["id"], "/resolve"), headers=admin.headers,
                       json={"resolution_notes": "done"}).status_code == 200
    assert client.post(ticket_url(ticket["id"], "/close"), headers=admin.headers).status_code == 200


# ------------------------------------------------------------------ Comments: Author / Author+Admin


def test_only_the_author_edits_a_comment(  # type: ignore[no-untyped-def]
        client, end_user: Actor, engineer: Actor, admin: Actor) -> None:
    ticket = create_ticket(client, end_user)
    comment = add_comment(client, engineer, ticket["id"], "original").json()
    for other in (admin, end_user):
        assert_problem(client.put(f"{API}/comments/{comment['id']}", headers=other.headers,
                                  json={"content": "rewritten"}), 403)
    response = client.put(f"{API}/comments/{comment['id']}", headers=engineer.headers,
                          json={"content": "edited by author"})
    assert response.status_code == 200, response.text
    assert response.json()["content"] == "edited by author"
    assert response.json()["edited_at"] is not None


def test_comment_delete_by_neither_author_nor_admin_is_403(  # type: ignore[no-untyped-def]
        client, end_user: Actor, engineer: Actor, manager: Actor) -> None:
    ticket = create_ticket(client, end_user)
    comment = add_comment(client, end_user, ticket["id"]).json()
    for other in (engineer, manager):
        assert_problem(client.delete(f"{API}/comments/{comment['id']}", headers=other.headers), 403)
    assert len(client.get(ticket_url(ticket["id"], "/comments"), headers=end_user.headers).json()) == 1


# ------------------------------------------------------------------ Attachments: Uploader/Admin


def test_attachment_delete_by_the_uploader(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    attachment = upload(client, end_user, ticket["id"], "a.txt", b"a").json()
    assert client.delete(f"{API}/attachments/{attachment['id']}",
                         headers=end_user.headers).status_code == 204


def test_attachment_delete_by_an_admin(client, end_user: Actor, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    attachment = upload(client, end_user, ticket["id"], "a.txt", b"a").json()
    assert client.delete(f"{API}/attachments/{attachment['id']}",
                         headers=admin.headers).status_code == 204
    assert client.get(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers).json() == []


def test_attachment_delete_by_anyone_else_is_403(  # type: ignore[no-untyped-def]
        client, end_user: Actor, engineer: Actor, manager: Actor) -> None:
    ticket = create_ticket(client, end_user)
    attachment = upload(client, end_user, ticket["id"], "a.txt", b"a").json()
    for other in (engineer, manager):
        assert_problem(client.delete(f"{API}/attachments/{attachment['id']}",
                                     headers=other.headers), 403)
    assert client.get(f"{API}/attachments/{attachment['id']}",
                      headers=end_user.headers).status_code == 200
