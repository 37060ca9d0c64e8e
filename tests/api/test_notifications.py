"""The inbox API: each person's own notifications, newest first, read and unread.

The world (tests/api/conftest.py) already told the engineer of their assignment and the
requester of the engineer's comment; the worker fans those out when the test drains it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import API, World, assert_problem
from tests.domain.notifications.helpers import drain
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.events.service import EventType, emit_event


def comment(client: TestClient, world: World, author: str, content: str) -> None:
    response = client.post(world.url("/tickets/{ticket}/comments"),
                           headers=world.actor(author).headers, json={"content": content})
    assert response.status_code == 201, response.text


def notifications(client: TestClient, world: World, who: str, query: str = "") -> dict[str, Any]:
    response = client.get(f"{API}/notifications{query}", headers=world.actor(who).headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def unread(client: TestClient, world: World, who: str) -> int:
    response = client.get(f"{API}/notifications/unread-count", headers=world.actor(who).headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"unread"}
    count: int = response.json()["unread"]
    return count


def test_the_inbox_lists_the_callers_notifications_newest_first_with_their_ticket(
        client: TestClient, world: World, db: Database, settings: Settings) -> None:
    drain(db, settings)
    comment(client, world, "requester", "Still full this morning.")
    drain(db, settings)

    body = notifications(client, world, "engineer")

    assert {k: body[k] for k in ("total", "page", "size", "pages")} == \
        {"total": 2, "page": 1, "size": 20, "pages": 1}
    newest, oldest = body["items"]
    assert (newest["kind"], oldest["kind"]) == ("commented", "assigned")
    key = newest["ticket"]["key"]
    assert newest["ticket"] == {"id": world.ticket, "key": key,
                                "title": "Disk full on build agent"}
    assert newest["title"] == f"{world.requester.user.username} commented on {key}"
    assert newest["body"].endswith(": Still full this morning.")
    assert newest["read"] is False
    assert newest["read_at"] is None
    assert newest["email_status"] is None
    assert newest["data"]["actor"]["username"] == world.requester.user.username
    assert set(newest) == {"id", "kind", "title", "body", "data", "ticket", "read", "read_at",
                           "created_at", "email_status", "email_sent_at"}


def test_pages_of_the_inbox_use_the_canonical_envelope(
        client: TestClient, world: World, db: Database, settings: Settings) -> None:
    drain(db, settings)
    for n in range(4):
        comment(client, world, "requester", f"Update {n}")
        drain(db, settings)

    first = notifications(client, world, "engineer", "?size=2")
    last = notifications(client, world, "engineer", "?size=2&page=3")
    capped = notifications(client, world, "engineer", "?size=5000")

    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert [i["body"][-8:] for i in first["items"]] == ["Update 3", "Update 2"]
    assert [i["kind"] for i in last["items"]] == ["assigned"]
    assert capped["size"] == 100
    assert len(capped["items"]) == 5
    assert_problem(client.get(f"{API}/notifications?page=0",
                              headers=world.engineer.headers), 422)


def test_the_inbox_filters_by_unread_and_by_kind(
        client: TestClient, world: World, db: Database, settings: Settings) -> None:
    drain(db, settings)
    comment(client, world, "requester", "Any news?")
    drain(db, settings)
    assigned = notifications(client, world, "engineer", "?kind=assigned")["items"]
    client.post(f"{API}/notifications/{assigned[0]['id']}/read", headers=world.engineer.headers)

    unread_only = notifications(client, world, "engineer", "?unread=true")["items"]
    read_only = notifications(client, world, "engineer", "?unread=false")["items"]

    assert [i["kind"] for i in assigned] == ["assigned"]
    assert [i["kind"] for i in unread_only] == ["commented"]
    assert [i["kind"] for i in read_only] == ["assigned"]
    assert notifications(client, world, "engineer", "?kind=mentioned&unread=true")["items"] == []
    body = assert_problem(client.get(f"{API}/notifications?kind=bogus",
                                     headers=world.engineer.headers), 422)
    assert "kind" in body["detail"]


def test_reading_and_unreading_move_the_unread_count(
        client: TestClient, world: World, db: Database, settings: Settings) -> None:
    drain(db, settings)
    comment(client, world, "requester", "Any news?")
    drain(db, settings)
    assert unread(client, world, "engineer") == 2
    newest = notifications(client, world, "engineer")["items"][0]
    url = f"{API}/notifications/{newest['id']}"

    read = client.post(f"{url}/read", headers=world.engineer.headers)
    again = client.post(f"{url}/read", headers=world.engineer.headers)

    assert read.status_code == 200, read.text
    assert read.json()["read"] is True
    assert read.json()["read_at"] is not None
    assert again.json()["read_at"] == read.json()["read_at"]  # the first reading counts
    assert unread(client, world, "engineer") == 1

    back = client.post(f"{url}/unread", headers=world.engineer.headers)

    assert back.status_code == 200
    assert (back.json()["read"], back.json()["read_at"]) == (False, None)
    assert unread(client, world, "engineer") == 2


def test_read_all_marks_only_the_callers_notifications(
        client: TestClient, world: World, db: Database, settings: Settings) -> None:
    drain(db, settings)
    comment(client, world, "requester", "Any news?")
    drain(db, settings)

    response = client.post(f"{API}/notifications/read-all", headers=world.engineer.headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"marked_read": 2, "unread": 0}
    assert unread(client, world, "engineer") == 0
    assert all(i["read"] for i in notifications(client, world, "engineer")["items"])
    assert unread(client, world, "requester") == 1
    again = client.post(f"{API}/notifications/read-all", headers=world.engineer.headers)
    assert again.json() == {"marked_read": 0, "unread": 0}


def test_nobody_sees_or_marks_someone_elses_notifications(
        client: TestClient, world: World, db: Database, settings: Settings) -> None:
    drain(db, settings)
    engineers = notifications(client, world, "engineer")["items"]
    assert engineers

    for who in ("requester", "stranger", "admin"):
        seen = {i["id"] for i in notifications(client, world, who)["items"]}
        assert not seen & {i["id"] for i in engineers}
        for action in ("read", "unread"):
            response = client.post(f"{API}/notifications/{engineers[0]['id']}/{action}",
                                   headers=world.actor(who).headers)
            assert_problem(response, 404, "NOTIFICATION_NOT_FOUND")
    assert notifications(client, world, "engineer")["items"][0]["read"] is False


def test_unknown_and_malformed_notification_ids(client: TestClient, world: World) -> None:
    assert_problem(client.post(f"{API}/notifications/{uuid.uuid4()}/read",
                               headers=world.engineer.headers), 404)
    assert_problem(client.post(f"{API}/notifications/not-an-id/read",
                               headers=world.engineer.headers), 422)


def test_the_inbox_requires_authentication(client: TestClient) -> None:
    for method, path in (("GET", "/notifications"), ("GET", "/notifications/unread-count"),
                         ("POST", "/notifications/read-all"),
                         ("POST", f"/notifications/{uuid.uuid4()}/read")):
        assert_problem(client.request(method, API + path), 401)


def test_a_notification_about_no_ticket_has_no_ticket(
        client: TestClient, world: World, session: Session, db: Database,
        settings: Settings) -> None:
    emit_event(session, type=EventType.WEBHOOK_DISABLED, actor=None, data={
        "webhook": {"id": str(uuid.uuid4()), "url": "https://hooks.example.com/t",
                    "owner_id": world.admin.user.id, "reason": "failing for 72 hours"},
        "notify_user_ids": [world.admin.user.id]})
    session.commit()
    drain(db, settings)

    [item] = notifications(client, world, "admin")["items"]

    assert item["kind"] == "webhook_disabled"
    assert item["ticket"] is None
