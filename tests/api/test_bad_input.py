"""Bad input to every endpoint family of the canonical API.

Whatever a client sends, the answer is a 4xx (never a 500) in one shape, `application/problem+json`
with `detail` and `error_code`; a validation error names every failing field; and the database
is exactly as it was before the request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import API, World, assert_problem, failing_fields
from ticketry.api.app import create_app
from ticketry.config import Settings
from ticketry.db import Database

Unchanged = Callable[[], Any]

# --------------------------------------------------------------------------- the endpoints

# Every endpoint that takes a JSON body: (method, path template, a valid body, the actor).
JSON_ENDPOINTS: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "auth/login": ("POST", "/auth/login", {"username": "x", "password": "y"}, "requester"),
    "auth/refresh": ("POST", "/auth/refresh", {"refresh_token": "x"}, "requester"),
    "auth/logout": ("POST", "/auth/logout", {}, "requester"),
    "tickets/create": ("POST", "/tickets", {"title": "t", "description": "d"}, "requester"),
    "tickets/put": ("PUT", "/tickets/{ticket}", {"title": "t", "description": "d"}, "engineer"),
    "tickets/patch": ("PATCH", "/tickets/{ticket}", {"title": "t"}, "engineer"),
    "tickets/status": ("PATCH", "/tickets/{ticket}/status", {"status": "OPEN"}, "engineer"),
    "tickets/assign": ("PUT", "/tickets/{ticket}/assign", {"assignee_id": None}, "engineer"),
    "tickets/resolve": ("POST", "/tickets/{ticket}/resolve", {"resolution_notes": "n"},
                        "engineer"),
    "tickets/close": ("POST", "/tickets/{ticket}/close", {}, "engineer"),
    "tickets/reopen": ("POST", "/tickets/{ticket}/reopen", {}, "engineer"),
    "comments/create": ("POST", "/tickets/{ticket}/comments", {"content": "c"}, "engineer"),
    "comments/update": ("PUT", "/comments/{comment}", {"content": "c"}, "engineer"),
    "users/create": ("POST", "/users", {"username": "newbie", "email": "n@example.com",
                                        "password": "long-enough"}, "admin"),
    "users/update": ("PATCH", "/users/{requester}", {"full_name": "N"}, "admin"),
    "teams/create": ("POST", "/teams", {"key": "k", "name": "n"}, "admin"),
}
# Endpoints whose body may be left out altogether.
OPTIONAL_BODY = ("auth/logout", "tickets/close", "tickets/reopen")


def send(client: TestClient, world: World, actor: str | None, method: str, path: str,
         **kwargs: Any) -> Any:
    headers = dict(world.actor(actor).headers) if actor else {}
    headers.update(kwargs.pop("headers", {}))
    return client.request(method, world.url(path), headers=headers, **kwargs)


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": True}
    for _ in range(depth - 1):
        value = {"child": value}
    return value


# --------------------------------------------------------------------------- validation errors
# (case id, actor, method, path, body, the fields that must be named)

INVALID_BODIES = [
    # auth
    ("login-missing", None, "POST", "/auth/login", {}, {"username", "password"}),
    ("login-types", None, "POST", "/auth/login", {"username": 5, "password": ["pw"]},
     {"username", "password"}),
    ("login-unknown-field", None, "POST", "/auth/login",
     {"username": "jdoe", "password": "pw", "remember_me": True}, {"remember_me"}),
    ("login-nul", None, "POST", "/auth/login", {"username": "jd\x00oe", "password": "p\x00w"},
     {"username", "password"}),
    ("refresh-missing", None, "POST", "/auth/refresh", {}, {"refresh_token"}),
    ("refresh-types", None, "POST", "/auth/refresh", {"refresh_token": 42, "rotate": "no"},
     {"refresh_token", "rotate"}),
    ("logout-types", "requester", "POST", "/auth/logout", {"refresh_token": 1, "all": True},
     {"refresh_token", "all"}),
    # tickets: create
    ("create-missing", "requester", "POST", "/tickets", {}, {"title", "description"}),
    ("create-types", "requester", "POST", "/tickets", {
        "title": 5, "description": ["d"], "priority": 1, "tags": "disk", "channel": "fax",
        "due_at": "yesterday", "team_id": "team-a", "metadata": ["x"], "people": "bob",
        "requester_id": 7}, {"title", "description", "priority", "tags", "channel", "due_at",
                             "team_id", "metadata", "people", "requester_id"}),
    ("create-unknown-fields", "requester", "POST", "/tickets",
     {"title": "t", "description": "d", "state": "OPEN", "assignee": "bob"},
     {"state", "assignee"}),
    ("create-blank-title-naive-due", "requester", "POST", "/tickets",
     {"title": "   ", "description": "d", "due_at": "2025-01-15T10:00:00"}, {"title", "due_at"}),
    ("create-wrong-enums", "requester", "POST", "/tickets",
     {"title": "t", "description": "d", "priority": "P9", "category": "NOPE",
      "environment": "MARS", "impact_level": "HUGE"},
     {"priority", "category", "environment", "impact_level"}),
    ("create-nul", "requester", "POST", "/tickets",
     {"title": "Disk\x00full", "description": "d\x00", "tags": ["a\x00"],
      "metadata": {"k": "v\x00"}}, {"title", "description", "tags.0", "metadata"}),
    ("create-deep-metadata", "requester", "POST", "/tickets",
     {"title": "t", "description": "d", "metadata": nested(50)}, {"metadata"}),
    ("create-unknown-queue", "requester", "POST", "/tickets",
     {"title": "t", "description": "d", "queue": "nope"}, {"queue"}),
    ("create-unknown-team", "engineer", "POST", "/tickets",
     {"title": "t", "description": "d", "team_id": str(uuid.UUID(int=1))}, {"team_id"}),
    ("create-unknown-requester", "engineer", "POST", "/tickets",
     {"title": "t", "description": "d", "requester_id": str(uuid.UUID(int=1))},
     {"requester_id"}),
    # tickets: PUT
    ("put-missing", "engineer", "PUT", "/tickets/{ticket}", {"priority": "P1"},
     {"title", "description"}),
    ("put-types-and-unknown", "engineer", "PUT", "/tickets/{ticket}",
     {"title": [], "description": 1, "tags": [1], "state": "OPEN"},
     {"title", "description", "tags.0", "state"}),
    ("put-wrong-enums", "engineer", "PUT", "/tickets/{ticket}",
     {"title": "t", "description": "d", "priority": "P9", "environment": "MARS"},
     {"priority", "environment"}),
    ("put-deep-metadata", "engineer", "PUT", "/tickets/{ticket}",
     {"title": "t", "description": "d", "metadata": nested(50)}, {"metadata"}),
    # tickets: PATCH
    ("patch-types-and-unknown", "engineer", "PATCH", "/tickets/{ticket}",
     {"title": 5, "assignee_id": "bob", "channel": "fax", "bogus": True},
     {"title", "assignee_id", "channel", "bogus"}),
    ("patch-null-required", "engineer", "PATCH", "/tickets/{ticket}", {"title": None},
     {"title"}),
    ("patch-wrong-enums", "engineer", "PATCH", "/tickets/{ticket}",
     {"priority": "P9", "category": "NOPE"}, {"priority", "category"}),
    ("patch-unknown-status", "engineer", "PATCH", "/tickets/{ticket}", {"status": "FOO"},
     {"status"}),
    ("patch-nul", "engineer", "PATCH", "/tickets/{ticket}",
     {"description": "a\x00b", "people": ["x\x00"]}, {"description", "people.0"}),
    # tickets: status
    ("status-missing", "engineer", "PATCH", "/tickets/{ticket}/status", {}, {"status"}),
    ("status-types", "engineer", "PATCH", "/tickets/{ticket}/status",
     {"status": 5, "notes": [], "why": "x"}, {"status", "notes", "why"}),
    ("status-unknown", "engineer", "PATCH", "/tickets/{ticket}/status", {"status": "FOO"},
     {"status"}),
    ("status-nul", "engineer", "PATCH", "/tickets/{ticket}/status",
     {"status": "OPEN", "notes": "\x00"}, {"notes"}),
    # tickets: assign
    ("assign-missing", "engineer", "PUT", "/tickets/{ticket}/assign", {}, {"assignee_id"}),
    ("assign-types", "engineer", "PUT", "/tickets/{ticket}/assign",
     {"assignee_id": "bob", "notes": 5, "team": "a"}, {"assignee_id", "notes", "team"}),
    ("assign-unknown-user", "engineer", "PUT", "/tickets/{ticket}/assign",
     {"assignee_id": str(uuid.UUID(int=1))}, {"assignee_id"}),
    ("assign-to-end-user", "admin", "PUT", "/tickets/{ticket}/assign",
     {"assignee_id": "{requester}"}, {"assignee_id"}),
    # tickets: resolve / close / reopen
    ("resolve-missing", "engineer", "POST", "/tickets/{ticket}/resolve", {},
     {"resolution_notes"}),
    ("resolve-blank", "engineer", "POST", "/tickets/{ticket}/resolve",
     {"resolution_notes": "   "}, {"resolution_notes"}),
    ("resolve-types", "engineer", "POST", "/tickets/{ticket}/resolve",
     {"resolution_notes": 5, "notify": True}, {"resolution_notes", "notify"}),
    ("close-types", "engineer", "POST", "/tickets/{ticket}/close", {"notes": 5, "force": True},
     {"notes", "force"}),
    ("reopen-types", "engineer", "POST", "/tickets/{ticket}/reopen", {"reason": [], "x": 1},
     {"reason", "x"}),
    # comments
    ("comment-missing", "engineer", "POST", "/tickets/{ticket}/comments", {}, {"content"}),
    ("comment-types", "engineer", "POST", "/tickets/{ticket}/comments",
     {"content": "", "comment_type": "FOO", "is_internal": "maybe", "mentions": "x"},
     {"content", "comment_type", "is_internal", "mentions"}),
    ("comment-nul", "engineer", "POST", "/tickets/{ticket}/comments", {"content": "a\x00b"},
     {"content"}),
    ("comment-update-missing", "engineer", "PUT", "/comments/{comment}", {}, {"content"}),
    ("comment-update-types", "engineer", "PUT", "/comments/{comment}",
     {"content": 5, "is_internal": "maybe", "pinned": True}, {"content", "is_internal", "pinned"}),
    # users
    ("user-missing", "admin", "POST", "/users", {}, {"username", "email", "password"}),
    ("user-types", "admin", "POST", "/users", {
        "username": "has space", "email": "not-an-email", "password": "short", "role": "GOD",
        "is_active": "maybe", "team_id": "team-a", "shoe_size": 42},
     {"username", "email", "password", "role", "is_active", "team_id", "shoe_size"}),
    ("user-nul", "admin", "POST", "/users",
     {"username": "newbie", "email": "n@example.com", "password": "long-enough\x00",
      "full_name": "N\x00"}, {"password", "full_name"}),
    ("user-update-types", "admin", "PATCH", "/users/{requester}",
     {"role": "FOO", "email": "nope", "is_active": "maybe", "username": "renamed"},
     {"role", "email", "is_active", "username"}),
    ("team-types", "admin", "POST", "/teams", {"key": "has space", "name": "", "size": 3},
     {"key", "name", "size"}),
]


@pytest.mark.parametrize(("actor", "method", "path", "body", "fields"),
                         [pytest.param(*case[1:], id=case[0]) for case in INVALID_BODIES])
def test_invalid_bodies_are_refused_naming_every_failing_field(
        client: TestClient, world: World, unchanged: Unchanged, actor: str | None,
        method: str, path: str, body: dict[str, Any], fields: set[str]) -> None:
    with unchanged():
        response = send(client, world, actor, method, path, json=world.fill(body))

    problem = assert_problem(response, 422)
    assert failing_fields(problem) == fields
    for error in problem["errors"]:
        assert error["message"]


# Parameters outside the body are named with their location: `query.page`, `path.ticket_id`.
QUERY_ERRORS = [
    ("tickets-list", "engineer", "/tickets?sort_by=nope&order=up&page=0&size=0"
     "&created_after=yesterday&assignee_id=bob&unassigned=maybe",
     {"query.sort_by", "query.order", "query.page", "query.size", "query.created_after",
      "query.assignee_id", "query.unassigned"}),
    ("users-list", "admin", "/users?role=GOD&page=0&size=-1&is_active=maybe",
     {"query.role", "query.page", "query.size", "query.is_active"}),
    ("ticket-id", "engineer", "/tickets/not-a-uuid", {"path.ticket_id"}),
    ("ticket-history-id", "engineer", "/tickets/42/history", {"path.ticket_id"}),
    ("comments-ticket-id", "engineer", "/tickets/42/comments", {"path.ticket_id"}),
    ("attachment-id", "engineer", "/attachments/42", {"path.attachment_id"}),
    ("user-id", "admin", "/users/42", {"path.user_id"}),
]


@pytest.mark.parametrize(("actor", "path", "fields"),
                         [pytest.param(*case[1:], id=case[0]) for case in QUERY_ERRORS])
def test_invalid_query_and_path_parameters_are_named(client: TestClient, world: World,
                                                     actor: str, path: str,
                                                     fields: set[str]) -> None:
    response = send(client, world, actor, "GET", path)

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert failing_fields(problem) == fields
    assert {e["location"] for e in problem["errors"]} <= {"query", "path"}


def test_an_invalid_transition_names_the_allowed_statuses(client: TestClient, world: World,
                                                          unchanged: Unchanged) -> None:
    with unchanged():
        response = send(client, world, "engineer", "PATCH", "/tickets/{ticket}/status",
                        json={"status": "RESOLVED", "resolution_notes": "n"})

    problem = assert_problem(response, 422, "INVALID_STATUS_TRANSITION")
    assert problem["allowed"] == ["OPEN", "IN_PROGRESS", "CLOSED"]
    assert (problem["current"], problem["requested"]) == ("NEW", "RESOLVED")


@pytest.mark.parametrize(("path", "body"), [
    ("/tickets/{ticket}/resolve", {"resolution_notes": "Freed space"}),
    ("/tickets/{ticket}/reopen", {}),
    ("/tickets/{ticket}", {"status": "REOPENED"}),
])
def test_actions_the_lifecycle_does_not_allow_are_refused(client: TestClient, world: World,
                                                          unchanged: Unchanged, path: str,
                                                          body: dict[str, Any]) -> None:
    method = "PATCH" if path == "/tickets/{ticket}" else "POST"
    with unchanged():
        response = send(client, world, "engineer", method, path, json=body)

    assert_problem(response, 422, "INVALID_STATUS_TRANSITION")


# --------------------------------------------------------------------------- malformed bodies

# Bodies no JSON parser should accept: (body, the error code of the refusal).
UNPARSEABLE: dict[str, tuple[bytes, str | None]] = {
    "truncated": (b'{"title": "Disk full", ', "MALFORMED_JSON"),
    "not-json": (b"title=Disk full", "MALFORMED_JSON"),
    "trailing-garbage": (b'{"title": "t"} x', "MALFORMED_JSON"),
    "single-quotes": (b"{'title': 't'}", "MALFORMED_JSON"),
    "not-utf8": (b'{"title": "\xff\xfe"}', None),
    "100000-open-brackets": (b"[" * 100_000, None),
    "nested-5000-levels": (b'{"a": ' * 5000 + b"1" + b"}" * 5000, None),
}


@pytest.mark.parametrize("endpoint", list(JSON_ENDPOINTS))
def test_a_body_that_cannot_be_parsed_is_a_bad_request(client: TestClient, world: World,
                                                       unchanged: Unchanged,
                                                       endpoint: str) -> None:
    method, path, _, actor = JSON_ENDPOINTS[endpoint]
    for name, (body, error_code) in UNPARSEABLE.items():
        with unchanged():
            response = send(client, world, actor, method, path, content=body,
                            headers={"Content-Type": "application/json"})

        assert response.status_code == 400, (name, response.text)
        assert_problem(response, 400, error_code)


@pytest.mark.parametrize("endpoint", list(JSON_ENDPOINTS))
def test_a_body_that_is_missing_or_not_an_object_is_named(client: TestClient, world: World,
                                                          unchanged: Unchanged,
                                                          endpoint: str) -> None:
    method, path, _, actor = JSON_ENDPOINTS[endpoint]
    bodies: list[dict[str, Any]] = [{"json": ["not", "an", "object"]}, {"json": "text"},
                                    {"json": 42}]
    if endpoint not in OPTIONAL_BODY:  # where the body may be left out, null leaves it out
        bodies += [{"content": b"null"}, {}]
    for body in bodies:
        with unchanged():
            response = send(client, world, actor, method, path,
                            headers={"Content-Type": "application/json"}, **body)

        problem = assert_problem(response, 422, "VALIDATION_ERROR")
        assert failing_fields(problem) == {"body"}, body


@pytest.mark.parametrize("endpoint", list(JSON_ENDPOINTS))
def test_valid_json_nested_deeper_than_any_field_allows_is_refused(
        client: TestClient, world: World, unchanged: Unchanged, endpoint: str) -> None:
    method, path, valid, actor = JSON_ENDPOINTS[endpoint]
    body = {**valid, "metadata" if endpoint.startswith("tickets/") else "extra": nested(500)}
    with unchanged():
        response = send(client, world, actor, method, path, json=body)

    assert_problem(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("endpoint", list(JSON_ENDPOINTS))
def test_a_body_over_one_mebibyte_is_refused_before_it_is_read(client: TestClient,
                                                               world: World,
                                                               unchanged: Unchanged,
                                                               endpoint: str) -> None:
    method, path, valid, actor = JSON_ENDPOINTS[endpoint]
    body = {**valid, "description": "x" * (1024 * 1024 + 1)}
    with unchanged():
        response = send(client, world, actor, method, path, json=body)

    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


def test_an_oversized_body_without_a_declared_length_is_refused(client: TestClient,
                                                                world: World,
                                                                unchanged: Unchanged) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "t", "description": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    with unchanged():
        response = send(client, world, "requester", "POST", "/tickets", content=chunks(),
                        headers={"Content-Type": "application/json"})

    assert_problem(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_body_just_under_the_limit_is_read(client: TestClient, world: World) -> None:
    response = send(client, world, "requester", "POST", "/tickets",
                    json={"title": "Long log", "description": "x" * 100_000})

    assert response.status_code == 201, response.text


# --------------------------------------------------------------------------- NUL bytes in the URL

NUL_URLS = [
    ("requester", "/tickets?search=disk%00full"),
    ("requester", "/tickets?status=NEW%00"),
    ("admin", "/users?search=%00"),
    ("requester", "/tickets/{ticket}/comments?x=%00"),
    ("requester", "/tickets/{ticket}/attachments?x=%00"),
    ("requester", "/tickets/%00"),
]


@pytest.mark.parametrize(("actor", "path"), NUL_URLS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_nul_bytes_in_the_url_are_refused(client: TestClient, world: World,
                                          unchanged: Unchanged, actor: str, path: str,
                                          method: str) -> None:
    with unchanged():
        response = send(client, world, actor, method, path, json={"content": "c"})

    assert_problem(response, 400, "BAD_REQUEST")


# --------------------------------------------------------------------------- unknown ids

UNKNOWN_IDS = [
    ("GET", "/tickets/{unknown}", None),
    ("PUT", "/tickets/{unknown}", {"title": "t", "description": "d"}),
    ("PATCH", "/tickets/{unknown}", {"title": "t"}),
    ("DELETE", "/tickets/{unknown}", None),
    ("PATCH", "/tickets/{unknown}/status", {"status": "OPEN"}),
    ("PUT", "/tickets/{unknown}/assign", {"assignee_id": None}),
    ("POST", "/tickets/{unknown}/resolve", {"resolution_notes": "n"}),
    ("POST", "/tickets/{unknown}/close", {}),
    ("POST", "/tickets/{unknown}/reopen", {}),
    ("GET", "/tickets/{unknown}/history", None),
    ("GET", "/tickets/{unknown}/comments", None),
    ("POST", "/tickets/{unknown}/comments", {"content": "c"}),
    ("PUT", "/comments/{unknown}", {"content": "c"}),
    ("DELETE", "/comments/{unknown}", None),
    ("GET", "/tickets/{unknown}/attachments", None),
    ("GET", "/attachments/{unknown}", None),
    ("DELETE", "/attachments/{unknown}", None),
    ("GET", "/users/{unknown}", None),
    ("PATCH", "/users/{unknown}", {"full_name": "x"}),
    ("DELETE", "/users/{unknown}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), UNKNOWN_IDS,
                         ids=[f"{m} {p}" for m, p, _ in UNKNOWN_IDS])
def test_unknown_ids_are_not_found(client: TestClient, world: World, unchanged: Unchanged,
                                   method: str, path: str, body: dict[str, Any] | None) -> None:
    with unchanged():
        response = send(client, world, "admin", method, path,
                        **({"json": body} if body is not None else {}))

    assert_problem(response, 404)


def test_uploading_to_an_unknown_ticket_is_not_found(client: TestClient, world: World,
                                                     unchanged: Unchanged) -> None:
    with unchanged():
        response = send(client, world, "admin", "POST", "/tickets/{unknown}/attachments",
                        files={"file": ("df.txt", b"100%\n", "text/plain")})

    assert_problem(response, 404, "TICKET_NOT_FOUND")


# --------------------------------------------------------------------------- other users' tickets

OTHERS_TICKET = [
    ("GET", "/tickets/{others_ticket}", None),
    ("PUT", "/tickets/{others_ticket}", {"title": "t", "description": "d"}),
    ("PATCH", "/tickets/{others_ticket}", {"title": "t"}),
    ("DELETE", "/tickets/{others_ticket}", None),
    ("PATCH", "/tickets/{others_ticket}/status", {"status": "OPEN"}),
    ("PUT", "/tickets/{others_ticket}/assign", {"assignee_id": None}),
    ("POST", "/tickets/{others_ticket}/resolve", {"resolution_notes": "n"}),
    ("POST", "/tickets/{others_ticket}/close", {}),
    ("POST", "/tickets/{others_ticket}/reopen", {}),
    ("GET", "/tickets/{others_ticket}/history", None),
    ("GET", "/tickets/{others_ticket}/comments", None),
    ("POST", "/tickets/{others_ticket}/comments", {"content": "c"}),
    ("GET", "/tickets/{others_ticket}/attachments", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OTHERS_TICKET,
                         ids=[f"{m} {p}" for m, p, _ in OTHERS_TICKET])
def test_an_end_user_cannot_tell_another_users_ticket_exists(
        client: TestClient, world: World, unchanged: Unchanged, method: str, path: str,
        body: dict[str, Any] | None) -> None:
    kwargs = {"json": body} if body is not None else {}
    with unchanged():
        existing = send(client, world, "requester", method, path, **kwargs)
        missing = send(client, world, "requester", method,
                       path.replace("{others_ticket}", "{unknown}"), **kwargs)

    problem = assert_problem(existing, existing.status_code)
    assert existing.status_code in (403, 404)
    assert (existing.status_code, problem["error_code"]) == (
        missing.status_code, missing.json()["error_code"])
    assert problem["detail"].replace(world.others_ticket, "?") == \
        missing.json()["detail"].replace(missing.url.path.split("/")[4], "?")


def test_an_end_user_cannot_upload_to_another_users_ticket(client: TestClient, world: World,
                                                           unchanged: Unchanged) -> None:
    with unchanged():
        response = send(client, world, "requester", "POST",
                        "/tickets/{others_ticket}/attachments",
                        files={"file": ("df.txt", b"100%\n", "text/plain")})

    assert_problem(response, 404, "TICKET_NOT_FOUND")


def test_an_end_user_cannot_reach_comments_and_attachments_of_others(
        client: TestClient, world: World, unchanged: Unchanged) -> None:
    with unchanged():
        responses = [
            send(client, world, "stranger", "PUT", "/comments/{comment}", json={"content": "c"}),
            send(client, world, "stranger", "DELETE", "/comments/{comment}"),
            send(client, world, "stranger", "GET", "/attachments/{attachment}"),
            send(client, world, "stranger", "DELETE", "/attachments/{attachment}"),
        ]

    for response in responses:
        assert_problem(response, 404)


OTHER_ENGINEER_CHANGES = [
    ("PUT", "/tickets/{ticket}", {"title": "t", "description": "d"}),
    ("PATCH", "/tickets/{ticket}", {"title": "t"}),
    ("PATCH", "/tickets/{ticket}/status", {"status": "OPEN"}),
    ("PUT", "/tickets/{ticket}/assign", {"assignee_id": None}),
    ("POST", "/tickets/{ticket}/resolve", {"resolution_notes": "n"}),
    ("POST", "/tickets/{ticket}/close", {}),
    ("DELETE", "/tickets/{ticket}", None),
    ("PUT", "/comments/{comment}", {"content": "c"}),
    ("DELETE", "/comments/{comment}", None),
    ("DELETE", "/attachments/{attachment}", None),
    ("POST", "/users", {"username": "newbie", "email": "n@example.com",
                        "password": "long-enough"}),
    ("PATCH", "/users/{requester}", {"role": "ADMIN"}),
    ("DELETE", "/users/{requester}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OTHER_ENGINEER_CHANGES,
                         ids=[f"{m} {p}" for m, p, _ in OTHER_ENGINEER_CHANGES])
def test_an_engineer_cannot_change_what_is_not_theirs(
        client: TestClient, world: World, unchanged: Unchanged, method: str, path: str,
        body: dict[str, Any] | None) -> None:
    with unchanged():
        response = send(client, world, "other_engineer", method, path,
                        **({"json": body} if body is not None else {}))

    assert_problem(response, 403, "PERMISSION_DENIED")


def test_an_end_user_cannot_write_internal_comments(client: TestClient, world: World,
                                                    unchanged: Unchanged) -> None:
    with unchanged():
        response = send(client, world, "requester", "POST", "/tickets/{ticket}/comments",
                        json={"content": "psst", "is_internal": True})

    assert_problem(response, 403, "PERMISSION_DENIED")


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/tickets"), ("POST", "/tickets"), ("GET", "/tickets/{ticket}"),
    ("PATCH", "/tickets/{ticket}/status"), ("POST", "/tickets/{ticket}/comments"),
    ("POST", "/tickets/{ticket}/attachments"), ("GET", "/users"), ("POST", "/auth/logout"),
])
@pytest.mark.parametrize("authorization", [None, "Bearer garbage", "Basic dXNlcjpwdw==",
                                           "Bearer "])
def test_requests_without_a_valid_token_are_unauthorized(
        client: TestClient, world: World, unchanged: Unchanged, method: str, path: str,
        authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with unchanged():
        response = send(client, world, None, method, path, headers=headers,
                        json={"title": "t", "description": "d", "status": "OPEN",
                              "content": "c"})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("username", "password"), [
    ("{requester}", "wrong-password"), ("nobody", "correct-horse-battery"),
])
def test_wrong_credentials_are_refused_alike(client: TestClient, world: World,
                                             unchanged: Unchanged, username: str,
                                             password: str) -> None:
    name = world.requester.user.username if username == "{requester}" else username
    with unchanged():
        response = client.post(f"{API}/auth/login",
                               json={"username": name, "password": password})

    problem = assert_problem(response, 401, "INVALID_CREDENTIALS")
    assert problem["detail"] == "incorrect username or password"


def test_the_oauth2_form_names_its_missing_fields(client: TestClient, world: World,
                                                  unchanged: Unchanged) -> None:
    with unchanged():
        response = client.post(f"{API}/auth/token", data={})

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert failing_fields(problem) == {"username", "password"}


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 4096])
def test_a_bad_refresh_token_is_unauthorized(client: TestClient, world: World,
                                             unchanged: Unchanged, token: str) -> None:
    with unchanged():
        response = client.post(f"{API}/auth/refresh", json={"refresh_token": token})

    assert_problem(response, 401, "INVALID_TOKEN")


def test_an_access_token_is_not_a_refresh_token(client: TestClient, world: World) -> None:
    access = world.requester.headers["Authorization"].removeprefix("Bearer ")

    response = client.post(f"{API}/auth/refresh", json={"refresh_token": access})

    assert_problem(response, 401, "INVALID_TOKEN")


def test_reusing_a_rotated_refresh_token_ends_the_session(client: TestClient,
                                                          world: World) -> None:
    user = world.requester.user
    first = client.post(f"{API}/auth/login",
                        json={"username": user.username, "password": "correct-horse-battery"})
    old_refresh = first.json()["refresh_token"]
    rotated = client.post(f"{API}/auth/refresh", json={"refresh_token": old_refresh})
    assert rotated.status_code == 200, rotated.text
    new_access = rotated.json()["access_token"]

    reused = client.post(f"{API}/auth/refresh", json={"refresh_token": old_refresh})

    assert_problem(reused, 401, "REFRESH_TOKEN_REUSED")
    after = client.get(f"{API}/tickets", headers={"Authorization": f"Bearer {new_access}"})
    assert_problem(after, 401, "INVALID_TOKEN")
    again = client.post(f"{API}/auth/refresh",
                        json={"refresh_token": rotated.json()["refresh_token"]})
    assert_problem(again, 401)


def test_a_logged_out_token_is_refused(client: TestClient, world: World) -> None:
    assert client.post(f"{API}/auth/logout", headers=world.stranger.headers).status_code == 204

    response = client.get(f"{API}/tickets", headers=world.stranger.headers)

    assert_problem(response, 401, "INVALID_TOKEN")


# --------------------------------------------------------------------------- attachments


def upload(client: TestClient, world: World, actor: str, **kwargs: Any) -> Any:
    return send(client, world, actor, "POST", "/tickets/{ticket}/attachments", **kwargs)


@pytest.mark.parametrize(("kwargs", "status", "fields"), [
    ({"data": {"description": "no file"}}, 422, {"file"}),
    ({"json": {"file": "df.txt"}}, 422, {"file"}),
    ({"files": {"attachment": ("df.txt", b"100%\n", "text/plain")}}, 422,
     {"file", "attachment"}),
    ({"files": [("file", ("a.txt", b"a\n", "text/plain")),
                ("file", ("b.txt", b"b\n", "text/plain"))]}, 422, {"file"}),
    ({"files": {"file": ("df.txt", b"100%\n", "text/plain")},
      "data": {"description": "a\x00b"}}, 422, {"description"}),
    ({"files": {"file": ("malware.exe", b"MZ\x90\x00", "application/octet-stream")}}, 415,
     {"file"}),
    ({"files": {"file": ("no-extension", b"100%\n", "text/plain")}}, 415, {"file"}),
    ({"files": {"file": ("screenshot.png", b"this is not a png", "image/png")}}, 422,
     {"file"}),
    ({"files": {"file": ("...", b"100%\n", "text/plain")}}, 422, {"file"}),
], ids=["no-file", "json-body", "wrong-field", "two-files", "nul-description", "exe",
        "no-extension", "content-mismatch", "no-usable-name"])
def test_bad_uploads_are_refused(client: TestClient, world: World, unchanged: Unchanged,
                                 settings: Settings, kwargs: dict[str, Any], status: int,
                                 fields: set[str]) -> None:
    with unchanged():
        response = upload(client, world, "requester", **kwargs)

    problem = assert_problem(response, status)
    assert failing_fields(problem) == fields
    staging = settings.storage_path / ".staging"
    assert not staging.exists() or list(staging.iterdir()) == []  # nothing left behind


@pytest.fixture
def small_upload_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The app with UPLOAD_MAX_FILE_SIZE set to 1024 bytes."""
    app = create_app(settings.model_copy(update={"upload_max_file_size": 1024}), db)
    with TestClient(app, base_url="http://127.0.0.1") as small:
        yield small


@pytest.mark.parametrize("size", [1025, 200_000])
def test_a_file_over_the_size_limit_is_refused(small_upload_client: TestClient, world: World,
                                               unchanged: Unchanged, size: int) -> None:
    with unchanged():
        response = upload(small_upload_client, world, "requester",
                          files={"file": ("big.log", b"x" * size, "text/plain")})

    assert_problem(response, 413, "FILE_TOO_LARGE")


def test_every_bad_form_field_of_an_upload_is_named(client: TestClient, world: World,
                                                    unchanged: Unchanged) -> None:
    with unchanged():
        with_file = upload(client, world, "requester",
                           files={"file": ("df.txt", b"100%\n", "text/plain")},
                           data={"description": "a\x00b", "is_internal": "maybe",
                                 "comment_id": "not-a-uuid", "shoe_size": "42"})
        without_file = upload(client, world, "requester",
                              files={"attachment": ("df.txt", b"100%\n", "text/plain")},
                              data={"description": "a\x00b", "is_internal": "maybe"})

    problem = assert_problem(with_file, 422, "VALIDATION_ERROR")
    assert failing_fields(problem) == {"description", "is_internal", "comment_id", "shoe_size"}
    problem = assert_problem(without_file, 422, "VALIDATION_ERROR")
    assert failing_fields(problem) == {"file", "attachment", "description", "is_internal"}


def test_a_malformed_multipart_body_is_refused(client: TestClient, world: World,
                                               unchanged: Unchanged) -> None:
    with unchanged():
        response = upload(client, world, "requester", content=b"--xyz\r\ngarbage",
                          headers={"Content-Type": "multipart/form-data; boundary=xyz"})

    assert_problem(response, 422)


# --------------------------------------------------------------------------- users


def test_a_duplicate_user_is_a_conflict(client: TestClient, world: World,
                                        unchanged: Unchanged) -> None:
    taken = world.requester.user
    with unchanged():
        by_name = send(client, world, "admin", "POST", "/users", json={
            "username": taken.username.upper(), "email": "fresh@example.com",
            "password": "long-enough"})
        by_email = send(client, world, "admin", "POST", "/users", json={
            "username": "fresh", "email": taken.email.upper(), "password": "long-enough"})

    assert failing_fields(assert_problem(by_name, 409, "USER_ALREADY_EXISTS")) == {"username"}
    assert failing_fields(assert_problem(by_email, 409, "USER_ALREADY_EXISTS")) == {"email"}


# --------------------------------------------------------------------------- request ids, routes


def test_a_sent_request_id_is_echoed(client: TestClient, world: World) -> None:
    ok = send(client, world, "requester", "GET", "/tickets",
              headers={"X-Request-ID": "trace-abc.123"})
    refused = send(client, world, "requester", "POST", "/tickets", json={},
                   headers={"X-Request-ID": "trace-def:456"})

    assert ok.headers["x-request-id"] == "trace-abc.123"
    assert refused.headers["x-request-id"] == "trace-def:456"
    assert refused.json()["request_id"] == "trace-def:456"


def test_a_request_id_is_generated_when_none_is_sent(client: TestClient, world: World) -> None:
    first = send(client, world, "requester", "GET", "/tickets")
    second = send(client, world, "requester", "GET", "/tickets")

    assert first.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("request_id", ["has space", "x" * 129, "<script>", "ünïcode"])
def test_an_unsafe_request_id_is_replaced(client: TestClient, world: World,
                                          request_id: str) -> None:
    response = send(client, world, "requester", "GET", "/tickets",
                    headers={"X-Request-ID": request_id.encode()})

    assert response.status_code == 200
    assert response.headers["x-request-id"] != request_id
    assert response.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/tickets/x/y/z", "/nope", "/api/v2/tickets"])
def test_an_unknown_route_is_a_404_problem(client: TestClient, world: World, path: str) -> None:
    response = client.get(path, headers={**world.requester.headers, "X-Request-ID": "r-404"})

    problem = assert_problem(response, 404, "NOT_FOUND")
    assert response.headers["x-request-id"] == "r-404"
    assert problem["instance"] == path


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/tickets"), ("PUT", "/tickets"), ("POST", "/tickets/{ticket}"),
    ("GET", "/tickets/{ticket}/resolve"), ("DELETE", "/auth/login"), ("PATCH", "/users"),
])
def test_a_wrong_method_is_a_405_problem(client: TestClient, world: World,
                                         unchanged: Unchanged, method: str, path: str) -> None:
    with unchanged():
        response = send(client, world, "admin", method, path, json={})

    assert_problem(response, 405, "METHOD_NOT_ALLOWED")
    assert "allow" in response.headers


# --------------------------------------------------------------------------- ETag and If-Match


def test_get_returns_an_etag_that_changes_with_the_ticket(client: TestClient,
                                                          world: World) -> None:
    first = send(client, world, "engineer", "GET", "/tickets/{ticket}")
    etag = first.headers["etag"]
    assert etag == f'"{world.ticket}.{first.json()["version"]}"'

    not_modified = send(client, world, "engineer", "GET", "/tickets/{ticket}",
                        headers={"If-None-Match": etag})
    assert not_modified.status_code == 304

    changed = send(client, world, "engineer", "PATCH", "/tickets/{ticket}",
                   json={"title": "Disk full again"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] != etag
    assert send(client, world, "engineer", "GET", "/tickets/{ticket}").headers["etag"] == \
        changed.headers["etag"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("PUT", "/tickets/{ticket}", {"title": "Replaced", "description": "Replaced"}),
    ("PATCH", "/tickets/{ticket}", {"title": "Patched"}),
    ("PATCH", "/tickets/{ticket}/status", {"status": "OPEN"}),
])
def test_a_stale_if_match_is_refused_and_changes_nothing(
        client: TestClient, world: World, unchanged: Unchanged, method: str, path: str,
        body: dict[str, Any]) -> None:
    stale = send(client, world, "engineer", "GET", "/tickets/{ticket}").headers["etag"]
    send(client, world, "engineer", "PATCH", "/tickets/{ticket}", json={"priority": "P1"})

    with unchanged():
        response = send(client, world, "engineer", method, path, json=body,
                        headers={"If-Match": stale})

    assert_problem(response, 412, "VERSION_MISMATCH")


@pytest.mark.parametrize("if_match", ['"garbage"', '"{unknown}.1"', '"{ticket}.x"', ""])
def test_an_if_match_this_api_did_not_issue_is_refused(client: TestClient, world: World,
                                                       unchanged: Unchanged,
                                                       if_match: str) -> None:
    with unchanged():
        response = send(client, world, "engineer", "PATCH", "/tickets/{ticket}",
                        json={"title": "Patched"},
                        headers={"If-Match": world.fill(if_match)})

    problem = assert_problem(response, 422)
    assert failing_fields(problem) == {"If-Match"}


# --------------------------------------------------------------------------- Idempotency-Key


def test_the_same_idempotency_key_and_body_create_one_ticket(client: TestClient,
                                                             world: World) -> None:
    body = {"title": "Printer on fire", "description": "Third floor.", "priority": "P1"}
    headers = {"Idempotency-Key": "create-printer-1"}

    first = send(client, world, "requester", "POST", "/tickets", json=body, headers=headers)
    second = send(client, world, "requester", "POST", "/tickets", json=body, headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert second.headers.get("idempotent-replayed") == "true"
    listed = send(client, world, "requester", "GET", "/tickets?search=Printer on fire").json()
    assert listed["total"] == 1


def test_the_same_idempotency_key_with_another_body_is_refused(client: TestClient,
                                                               world: World,
                                                               unchanged: Unchanged) -> None:
    headers = {"Idempotency-Key": "create-printer-2"}
    first = send(client, world, "requester", "POST", "/tickets", headers=headers,
                 json={"title": "Printer on fire", "description": "Third floor."})
    assert first.status_code == 201

    with unchanged():
        response = send(client, world, "requester", "POST", "/tickets", headers=headers,
                        json={"title": "Printer on fire", "description": "Fourth floor."})

    problem = assert_problem(response, 422, "IDEMPOTENCY_KEY_REUSED")
    assert failing_fields(problem) == {"Idempotency-Key"}


def test_idempotency_keys_belong_to_their_user(client: TestClient, world: World) -> None:
    body = {"title": "Printer on fire", "description": "Third floor."}
    headers = {"Idempotency-Key": "shared-key"}

    mine = send(client, world, "requester", "POST", "/tickets", json=body, headers=headers)
    theirs = send(client, world, "stranger", "POST", "/tickets", json=body, headers=headers)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_idempotency_key_of_bad_length_is_refused(client: TestClient, world: World,
                                                     unchanged: Unchanged, key: str) -> None:
    with unchanged():
        response = send(client, world, "requester", "POST", "/tickets",
                        headers={"Idempotency-Key": key},
                        json={"title": "Printer on fire", "description": "Third floor."})

    assert_problem(response, 422)
