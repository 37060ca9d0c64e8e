"""Watchers: anyone who may see a ticket may follow it; agents may add and remove others (who
must be able to see it). Watching is idempotent; changing someone else's is in the history."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.conftest import World, assert_problem, failing_fields
from tests.domain.notifications.helpers import drain, kinds
from tests.factories import make_user
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.users.models import Role


def watchers(client: TestClient, world: World, who: str) -> list[str]:
    response = client.get(world.url("/tickets/{ticket}/watchers"),
                          headers=world.actor(who).headers)
    assert response.status_code == 200, response.text
    return [w["user"]["username"] for w in response.json()]


def watch(client: TestClient, world: World, who: str, body: Any = None) -> Any:
    return client.post(world.url("/tickets/{ticket}/watchers"), headers=world.actor(who).headers,
                       json=body)


def watcher_history(client: TestClient, world: World) -> list[dict[str, Any]]:
    response = client.get(world.url("/tickets/{ticket}/history"), headers=world.admin.headers)
    assert response.status_code == 200
    return [e for e in response.json() if e["field"] == "watchers"]


def test_anyone_who_sees_a_ticket_may_watch_it_once_and_stop(
        client: TestClient, world: World) -> None:
    first = watch(client, world, "requester")
    second = watch(client, world, "requester")

    assert first.status_code == 201, first.text
    assert second.status_code == 200
    assert first.json()["user"] == {"id": world.requester.id,
                                    "username": world.requester.user.username,
                                    "full_name": world.requester.user.full_name,
                                    "email": world.requester.user.email}
    assert second.json()["watching_since"] == first.json()["watching_since"]
    assert watchers(client, world, "engineer") == [world.requester.user.username]

    stop = client.delete(world.url("/tickets/{ticket}/watchers/me"),
                         headers=world.requester.headers)
    stop_again = client.delete(world.url("/tickets/{ticket}/watchers/{requester}"),
                               headers=world.requester.headers)

    assert (stop.status_code, stop_again.status_code) == (204, 204)
    assert watchers(client, world, "requester") == []
    # Following a ticket oneself is nobody else's business: no history.
    assert watcher_history(client, world) == []


def test_an_agent_may_watch_any_ticket(client: TestClient, world: World) -> None:
    response = client.post(world.url("/tickets/{others_ticket}/watchers"),
                           headers=world.other_engineer.headers)

    assert response.status_code == 201, response.text


def test_a_ticket_one_cannot_see_cannot_be_watched_or_its_watchers_listed(
        client: TestClient, world: World,
        unchanged: Callable[[], Any]) -> None:
    with unchanged():
        for method in ("GET", "POST"):
            assert_problem(client.request(method, world.url("/tickets/{ticket}/watchers"),
                                          headers=world.stranger.headers), 404)
        assert_problem(client.delete(world.url("/tickets/{ticket}/watchers/me"),
                                     headers=world.stranger.headers), 404)
        assert_problem(client.get(world.url("/tickets/{unknown}/watchers"),
                                  headers=world.admin.headers), 404)


def test_only_agents_add_or_remove_other_people(client: TestClient, world: World) -> None:
    response = watch(client, world, "requester", {"user_id": world.engineer.id})
    assert_problem(response, 403, "WATCHER_PERMISSION_DENIED")
    assert watch(client, world, "engineer").status_code == 201

    response = client.delete(world.url("/tickets/{ticket}/watchers/{engineer}"),
                             headers=world.requester.headers)

    assert_problem(response, 403)
    assert watchers(client, world, "requester") == [world.engineer.user.username]


def test_an_agent_adds_and_removes_someone_else_and_the_history_says_so(
        client: TestClient, world: World) -> None:
    added = watch(client, world, "admin", {"user_id": world.other_engineer.id})
    requester = watch(client, world, "admin", {"user_id": world.requester.id})

    assert added.status_code == 201, added.text
    assert added.json()["user"]["id"] == world.other_engineer.id
    assert requester.status_code == 201
    assert sorted(watchers(client, world, "engineer")) == sorted(
        [world.other_engineer.user.username, world.requester.user.username])

    removed = client.delete(world.url(f"/tickets/{{ticket}}/watchers/{world.other_engineer.id}"),
                            headers=world.admin.headers)

    assert removed.status_code == 204
    assert watchers(client, world, "engineer") == [world.requester.user.username]
    entries = watcher_history(client, world)
    assert [(e["change_type"], e["metadata"]["action"], e["actor"]["id"]) for e in entries] == [
        ("UPDATE", "added", world.admin.id), ("UPDATE", "added", world.admin.id),
        ("UPDATE", "removed", world.admin.id)]
    assert entries[-1]["new_value"] == world.requester.user.username
    assert entries[-1]["message"] == f"The ticket is watched by {world.requester.user.username}"


def test_only_people_who_may_see_the_ticket_can_be_made_to_watch_it(
        client: TestClient, world: World, session: Session) -> None:
    retired = make_user(session, Role.DEVOPS_ENGINEER, is_active=False)
    session.commit()

    for user_id in (world.stranger.id, str(retired.public_id), str(uuid.uuid4())):
        response = watch(client, world, "admin", {"user_id": user_id})
        body = assert_problem(response, 422)
        assert failing_fields(body) == {"user_id"}
    assert watchers(client, world, "admin") == []


def test_bad_watcher_requests_are_refused_clearly(client: TestClient, world: World) -> None:
    assert_problem(watch(client, world, "admin", {"user_id": "nope"}), 422)
    assert_problem(watch(client, world, "admin", {"user": world.engineer.id}), 422)
    assert_problem(client.delete(world.url("/tickets/{ticket}/watchers/nope"),
                                 headers=world.admin.headers), 422)
    assert_problem(client.delete(world.url("/tickets/{ticket}/watchers/{unknown}"),
                                 headers=world.admin.headers), 404, "USER_NOT_FOUND")
    assert_problem(client.get(world.url("/tickets/{ticket}/watchers")), 401)


def test_watching_through_the_api_brings_the_tickets_news(
        client: TestClient, world: World, session: Session, db: Database,
        settings: Settings) -> None:
    drain(db, settings)  # the world's own news first
    assert watch(client, world, "other_engineer").status_code == 201

    response = client.post(world.url("/tickets/{ticket}/comments"),
                           headers=world.requester.headers, json={"content": "Any news?"})
    assert response.status_code == 201
    drain(db, settings)

    assert kinds(session, world.other_engineer.user) == {
        world.other_engineer.user.username: ["commented"]}

    response = client.delete(world.url("/tickets/{ticket}/watchers/me"),
                             headers=world.other_engineer.headers)
    assert response.status_code == 204
    response = client.post(world.url("/tickets/{ticket}/comments"),
                           headers=world.requester.headers, json={"content": "Hello?"})
    assert response.status_code == 201
    drain(db, settings)

    assert kinds(session, world.other_engineer.user) == {
        world.other_engineer.user.username: ["commented"]}
