"""devops-service.md, "API Endpoints": every row of the four tables, with its status codes."""

from __future__ import annotations

import pytest

from tests.conformance.devops.support import (
    API,
    RESOLUTION_NOTES,
    Actor,
    add_comment,
    assert_problem,
    assign,
    create_ticket,
    ticket_in,
    ticket_url,
    unknown_id,
    upload,
    walk,
)

# Every (method, path) of the document's endpoint tables; `{id}` as the document writes it.
DOCUMENTED_ENDPOINTS = [
    ("GET", "/api/v1/tickets"),
    ("POST", "/api/v1/tickets"),
    ("GET", "/api/v1/tickets/{id}"),
    ("PUT", "/api/v1/tickets/{id}"),
    ("PATCH", "/api/v1/tickets/{id}"),
    ("DELETE", "/api/v1/tickets/{id}"),
    ("PUT", "/api/v1/tickets/{id}/assign"),
    ("PATCH", "/api/v1/tickets/{id}/status"),
    ("POST", "/api/v1/tickets/{id}/resolve"),
    ("POST", "/api/v1/tickets/{id}/close"),
    ("POST", "/api/v1/tickets/{id}/reopen"),
    ("GET", "/api/v1/tickets/{id}/history"),
    ("GET", "/api/v1/tickets/{id}/comments"),
    ("POST", "/api/v1/tickets/{id}/comments"),
    ("PUT", "/api/v1/comments/{id}"),
    ("DELETE", "/api/v1/comments/{id}"),
    ("GET", "/api/v1/tickets/{id}/attachments"),
    ("POST", "/api/v1/tickets/{id}/attachments"),
    ("GET", "/api/v1/attachments/{id}"),
    ("DELETE", "/api/v1/attachments/{id}"),
]

# A well-formed body for each endpoint that takes one, so only authentication can fail.
_BODIES = {
    ("POST", "/api/v1/tickets"): {"title": "t", "description": "d"},
    ("PUT", "/api/v1/tickets/{id}"): {"title": "t", "description": "d"},
    ("PATCH", "/api/v1/tickets/{id}"): {"title": "t"},
    ("PUT", "/api/v1/tickets/{id}/assign"): {"assignee_id": None},
    ("PATCH", "/api/v1/tickets/{id}/status"): {"status": "OPEN"},
    ("POST", "/api/v1/tickets/{id}/resolve"): {"resolution_notes": RESOLUTION_NOTES},
    ("POST", "/api/v1/tickets/{id}/comments"): {"content": "hello"},
    ("PUT", "/api/v1/comments/{id}"): {"content": "hello"},
}


def _request(client, method: str, path: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    url = path.replace("{id}", unknown_id())
    if (method, path) == ("POST", "/api/v1/tickets/{id}/attachments"):
        return client.post(url, headers=headers, files={"file": ("error.log", b"boom\n")})
    body = _BODIES.get((method, path))
    return client.request(method, url, headers=headers, json=body)


def _endpoint_id(endpoint: tuple[str, str]) -> str:
    return f"{endpoint[0]} {endpoint[1]}"


# ------------------------------------------------------------------ Auth Required

@pytest.mark.parametrize("endpoint", DOCUMENTED_ENDPOINTS, ids=_endpoint_id)
def test_every_endpoint_requires_a_jwt_and_answers_401_without_one(client, endpoint) -> None:  # type: ignore[no-untyped-def]
    response = _request(client, *endpoint)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("endpoint", DOCUMENTED_ENDPOINTS, ids=_endpoint_id)
def test_every_endpoint_answers_401_to_an_invalid_jwt(client, endpoint) -> None:  # type: ignore[no-untyped-def]
    response = _request(client, *endpoint, headers={"Authorization": "Bearer not.a.jwt"})
    assert_problem(response, 401)


def test_a_token_without_the_bearer_scheme_is_not_accepted(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    token = admin.headers["Authorization"].removeprefix("Bearer ")
    response = client.get(f"{API}/tickets", headers={"Authorization": token})
    assert_problem(response, 401)


@pytest.mark.parametrize(
    "endpoint", [e for e in DOCUMENTED_ENDPOINTS if "{id}" in e[1]], ids=_endpoint_id)
def test_every_endpoint_with_an_id_answers_404_for_an_unknown_resource(client, admin, endpoint) -> None:  # type: ignore[no-untyped-def]
    response = _request(client, *endpoint, headers=admin.headers)
    assert_problem(response, 404)


# ------------------------------------------------------------------ Tickets

def test_get_tickets_lists_tickets_200(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, engineer)
    response = client.get(f"{API}/tickets", headers=engineer.headers)
    assert response.status_code == 200
    body = response.json()
    assert [t["id"] for t in body["items"]] == [ticket["id"]]
    assert body["total"] == 1


def test_post_tickets_creates_a_ticket_201(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/tickets", headers=end_user.headers,
                           json={"title": "VPN drops", "description": "Every 10 minutes."})
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "VPN drops"
    assert body["description"] == "Every 10 minutes."
    assert body["status"] == "NEW"
    assert body["requester"]["id"] == end_user.id


def test_post_tickets_with_malformed_json_is_400(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/tickets", content=b'{"title": "x",',
                           headers={**end_user.headers, "Content-Type": "application/json"})
    assert_problem(response, 400)


def test_post_tickets_with_invalid_data_is_rejected_with_a_problem(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/tickets", headers=end_user.headers,
                           json={"title": "", "description": "x", "priority": "P9"})
    body = assert_problem(response, 422, "VALIDATION_ERROR")
    assert "title" in body["detail"]


def test_get_ticket_details_200(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user, priority="P2", category="INCIDENT")
    response = client.get(ticket_url(ticket["id"]), headers=end_user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == ticket["id"]
    assert body["priority"] == "P2"
    assert body["category"] == "INCIDENT"


def test_put_ticket_updates_the_ticket_in_full_200(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager, priority="P3", tags=["old"])
    full = {"title": "Replaced title", "description": "Replaced description",
            "category": "PROBLEM", "priority": "P2", "environment": "STAGING",
            "affected_service": "Redis", "impact_level": "HIGH", "tags": ["cache"]}
    response = client.put(ticket_url(ticket["id"]), headers=manager.headers, json=full)
    assert response.status_code == 200, response.text
    body = response.json()
    for field, value in full.items():
        assert body[field] == value, field


def test_put_ticket_requires_the_full_ticket(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager)
    response = client.put(ticket_url(ticket["id"]), headers=manager.headers,
                          json={"title": "Only a title"})
    body = assert_problem(response, 422, "VALIDATION_ERROR")
    assert "description" in body["detail"]


def test_patch_ticket_changes_only_the_given_fields_200(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager, priority="P3", category="INCIDENT", tags=["db"])
    response = client.patch(ticket_url(ticket["id"]), headers=manager.headers,
                            json={"title": "Patched title"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "Patched title"
    assert body["description"] == ticket["description"]
    assert body["priority"] == "P3"
    assert body["category"] == "INCIDENT"
    assert body["tags"] == ["db"]


def test_delete_ticket_by_admin_is_204_and_the_ticket_is_gone(client, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, admin)
    response = client.delete(ticket_url(ticket["id"]), headers=admin.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get(ticket_url(ticket["id"]), headers=admin.headers), 404)
    listed = client.get(f"{API}/tickets", headers=admin.headers).json()
    assert ticket["id"] not in [t["id"] for t in listed["items"]]


@pytest.mark.parametrize("role", ["end_user", "engineer", "manager"])
def test_delete_ticket_is_admin_only_403_for_everyone_else(client, request, role: str) -> None:  # type: ignore[no-untyped-def]
    actor: Actor = request.getfixturevalue(role)
    ticket = create_ticket(client, actor)
    assert_problem(client.delete(ticket_url(ticket["id"]), headers=actor.headers), 403)
    assert client.get(ticket_url(ticket["id"]), headers=actor.headers).status_code == 200


# ------------------------------------------------------------------ Ticket Actions

def test_put_assign_assigns_the_ticket_to_an_engineer_200(client, manager: Actor, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager)
    response = assign(client, manager, ticket["id"], engineer)
    assert response.status_code == 200, response.text
    assert response.json()["assignee"]["id"] == engineer.id
    fetched = client.get(ticket_url(ticket["id"]), headers=manager.headers).json()
    assert fetched["assignee"]["id"] == engineer.id


def test_put_assign_is_engineer_plus_403_for_end_users(client, end_user: Actor, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert_problem(assign(client, end_user, ticket["id"], engineer), 403)


def test_patch_status_updates_the_status_200(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, manager)
    response = client.patch(ticket_url(ticket["id"], "/status"), headers=manager.headers,
                            json={"status": "OPEN"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "OPEN"


def test_post_resolve_marks_the_ticket_resolved_200(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, engineer)
    assert assign(client, engineer, ticket["id"], engineer).status_code == 200
    walk(client, engineer, ticket["id"], "IN_PROGRESS")
    response = client.post(ticket_url(ticket["id"], "/resolve"), headers=engineer.headers,
                           json={"resolution_notes": RESOLUTION_NOTES})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "RESOLVED"
    assert body["resolution_notes"] == RESOLUTION_NOTES
    assert body["resolved_at"] is not None


def test_post_resolve_is_engineer_plus_403_for_end_users(client, end_user: Actor, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    walk(client, admin, ticket["id"], "IN_PROGRESS")
    response = client.post(ticket_url(ticket["id"], "/resolve"), headers=end_user.headers,
                           json={"resolution_notes": RESOLUTION_NOTES})
    assert_problem(response, 403)


def test_post_close_closes_the_ticket_200(client, engineer: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, engineer)
    assert assign(client, engineer, ticket["id"], engineer).status_code == 200
    response = client.post(ticket_url(ticket["id"], "/close"), headers=engineer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CLOSED"
    assert response.json()["closed_at"] is not None


def test_post_close_is_engineer_plus_403_for_end_users(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    assert_problem(client.post(ticket_url(ticket["id"], "/close"), headers=end_user.headers), 403)


def test_post_reopen_reopens_a_closed_ticket_200(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, manager, "CLOSED")
    response = client.post(ticket_url(ticket["id"], "/reopen"), headers=manager.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "REOPENED"
    assert response.json()["closed_at"] is None


def test_post_reopen_is_open_to_the_requester_of_the_ticket(client, end_user: Actor, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    walk(client, admin, ticket["id"], "CLOSED")
    response = client.post(ticket_url(ticket["id"], "/reopen"), headers=end_user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "REOPENED"


def test_post_reopen_refuses_a_ticket_that_is_not_closed(client, manager: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = ticket_in(client, manager, "IN_PROGRESS")
    assert_problem(client.post(ticket_url(ticket["id"], "/reopen"), headers=manager.headers), 422)


def test_get_history_returns_the_ticket_history_200(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = client.get(ticket_url(ticket["id"], "/history"), headers=end_user.headers)
    assert response.status_code == 200
    assert [e["change_type"] for e in response.json()] == ["CREATED"]


# ------------------------------------------------------------------ Comments

def test_get_comments_lists_the_ticket_comments_200(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    first = add_comment(client, end_user, ticket["id"], "first").json()
    second = add_comment(client, end_user, ticket["id"], "second").json()
    response = client.get(ticket_url(ticket["id"], "/comments"), headers=end_user.headers)
    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [first["id"], second["id"]]


def test_post_comments_adds_a_comment_201(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = add_comment(client, end_user, ticket["id"], "It is still down.")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content"] == "It is still down."
    assert body["ticket_id"] == ticket["id"]
    assert body["author"]["id"] == end_user.id
    assert body["is_internal"] is False


def test_put_comment_updates_the_comment_as_its_author_200(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    comment = add_comment(client, end_user, ticket["id"], "typo").json()
    response = client.put(f"{API}/comments/{comment['id']}", headers=end_user.headers,
                          json={"content": "fixed"})
    assert response.status_code == 200, response.text
    assert response.json()["content"] == "fixed"


def test_delete_comment_by_its_author_204(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    comment = add_comment(client, end_user, ticket["id"]).json()
    response = client.delete(f"{API}/comments/{comment['id']}", headers=end_user.headers)
    assert response.status_code == 204
    listed = client.get(ticket_url(ticket["id"], "/comments"), headers=end_user.headers).json()
    assert listed == []


# ------------------------------------------------------------------ Attachments

def test_get_attachments_lists_the_ticket_attachments_200(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    uploaded = upload(client, end_user, ticket["id"], "error.log", b"line 1\n").json()
    response = client.get(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers)
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [uploaded["id"]]


def test_post_attachments_uploads_a_file_201(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    response = upload(client, end_user, ticket["id"], "notes.txt", b"some notes\n")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["filename"] == "notes.txt"
    assert body["size"] == len(b"some notes\n")
    assert body["ticket_id"] == ticket["id"]


def test_get_attachment_downloads_the_file_200(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    uploaded = upload(client, end_user, ticket["id"], "notes.txt", b"some notes\n").json()
    response = client.get(f"{API}/attachments/{uploaded['id']}", headers=end_user.headers)
    assert response.status_code == 200
    assert response.content == b"some notes\n"


def test_delete_attachment_by_its_uploader_204(client, end_user: Actor) -> None:  # type: ignore[no-untyped-def]
    ticket = create_ticket(client, end_user)
    uploaded = upload(client, end_user, ticket["id"], "notes.txt", b"some notes\n").json()
    response = client.delete(f"{API}/attachments/{uploaded['id']}", headers=end_user.headers)
    assert response.status_code == 204
    assert_problem(client.get(f"{API}/attachments/{uploaded['id']}", headers=end_user.headers), 404)
    listed = client.get(ticket_url(ticket["id"], "/attachments"), headers=end_user.headers)
    assert listed.json() == []
