"""healthcare-api.md, "Modifications": the log of every change, in Catalan by default."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.healthcare.support import (
    HC,
    TIMESTAMP,
    TITLE_CHANGED_CA,
    Actor,
    assert_error,
    create_ticket,
    get_ticket,
    modifications,
    update_ticket,
)

MODIFICATION_FIELDS = {"id", "user_id", "date", "user", "changes", "total_changes"}

# "Create Modification", request body (with the ticket id of a real ticket).
MANUAL = {
    "reason": "Manual update by external system",
    "field_name": "description",
    "old_value": "Previous description",
    "new_value": "Updated description",
}


def _with_sentence(body: dict[str, Any], sentence: str) -> list[dict[str, Any]]:
    return [m for m in body["modifications"] if sentence in m["changes"]]


def assert_modification(item: dict[str, Any], actor: Actor) -> None:
    assert set(item) == MODIFICATION_FIELDS, item
    assert isinstance(item["id"], int)
    assert item["user_id"] == actor.id
    assert item["user"] == {"id": actor.id, "username": actor.username, "email": actor.user.email}
    assert TIMESTAMP.match(item["date"]), item["date"]
    assert isinstance(item["changes"], list)
    assert all(isinstance(c, str) and c for c in item["changes"])
    assert item["total_changes"] == len(item["changes"])


def test_a_title_change_as_the_document_shows_it(client: TestClient, admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    update_ticket(client, admin, ticket["id"], title="Updated Title")
    body = modifications(client, admin, ticket["id"])
    assert body["total"] == len(body["modifications"])
    [entry] = _with_sentence(body, 'El títol s\'ha canviat per "Updated Title"')
    assert_modification(entry, admin)
    assert entry["changes"] == ['El títol s\'ha canviat per "Updated Title"']
    assert entry["total_changes"] == 1


def test_the_documents_example_response_a_ticket_with_one_title_change(client: TestClient,
                                                                       admin: Actor) -> None:
    """The document's example: one modification (id 1, the first ever) with the title sentence,
    and total 1 -- creating a ticket is not one of its modifications."""
    ticket = create_ticket(client, admin)
    assert modifications(client, admin, ticket["id"]) == {"modifications": [], "total": 0}
    update_ticket(client, admin, ticket["id"], title="Updated Title")
    body = modifications(client, admin, ticket["id"])
    assert body["total"] == 1, body
    [entry] = body["modifications"]
    assert entry["changes"] == ['El títol s\'ha canviat per "Updated Title"']


def test_every_entry_has_the_documented_shape(client: TestClient, admin: Actor, agent: Actor) -> None:
    ticket = create_ticket(client, admin)
    update_ticket(client, agent, ticket["id"], status_id=2)
    update_ticket(client, admin, ticket["id"], crit_id=4)
    body = modifications(client, admin, ticket["id"])
    assert body["total"] == len(body["modifications"]) >= 2
    ids = [m["id"] for m in body["modifications"]]
    assert len(set(ids)) == len(ids)
    for entry in body["modifications"]:
        assert set(entry) == MODIFICATION_FIELDS
    by_agent = [m for m in body["modifications"] if m["user_id"] == agent.id]
    assert len(by_agent) == 1
    assert_modification(by_agent[0], agent)


def test_one_update_is_one_modification_with_one_sentence_per_field(client: TestClient,
                                                                   admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    before = modifications(client, admin, ticket["id"])["total"]
    update_ticket(client, admin, ticket["id"], status_id=4, title="New title",
                  description="Updated description with additional context", crit_id=4)
    body = modifications(client, admin, ticket["id"])
    assert body["total"] == before + 1
    [entry] = _with_sentence(body, TITLE_CHANGED_CA.format("New title"))
    assert_modification(entry, admin)
    assert entry["total_changes"] == 4


def test_an_update_that_changes_nothing_adds_no_sentence(client: TestClient, admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    before = modifications(client, admin, ticket["id"])
    update_ticket(client, admin, ticket["id"], title=ticket["title"])
    assert modifications(client, admin, ticket["id"]) == before


@pytest.mark.parametrize(("language", "expected"), [
    (None, "ca"), ("ca", "ca"), ("ca-ES,ca;q=0.9", "ca"), ("fr", "ca"), ("de-DE,fr;q=0.5", "ca"),
    ("es", "es"), ("es-ES,es;q=0.9,en;q=0.8", "es"), ("en;q=0.5,es;q=0.9", "es"),
    ("en", "en"), ("en-GB,en;q=0.9", "en"), ("fr-FR,en;q=0.8,ca;q=0.2", "en"),
])
def test_sentences_follow_accept_language(client: TestClient, admin: Actor, language: str | None,
                                          expected: str) -> None:
    ticket = create_ticket(client, admin)
    update_ticket(client, admin, ticket["id"], title="New title")
    body = modifications(client, admin, ticket["id"], language)
    sentences = [c for m in body["modifications"] for c in m["changes"] if "New title" in c]
    assert len(sentences) == 1, body
    [sentence] = sentences
    if expected == "ca":
        assert sentence == 'El títol s\'ha canviat per "New title"'
        return
    assert sentence != 'El títol s\'ha canviat per "New title"'
    assert '"New title"' in sentence
    assert ("título" if expected == "es" else "title") in sentence.lower(), sentence


def test_spanish_and_english_differ(client: TestClient, admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    update_ticket(client, admin, ticket["id"], title="New title")
    spoken = {
        lang: [c for m in modifications(client, admin, ticket["id"], lang)["modifications"]
               for c in m["changes"]]
        for lang in ("ca", "es", "en")
    }
    assert len({tuple(v) for v in spoken.values()}) == 3, spoken


def test_every_change_of_an_update_is_logged(client: TestClient, admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    update_ticket(client, admin, ticket["id"], status_id=6)
    update_ticket(client, admin, ticket["id"], people=["IT Support"])
    update_ticket(client, admin, ticket["id"], tool_id=3)
    body = modifications(client, admin, ticket["id"])
    sentences = [c for m in body["modifications"] for c in m["changes"]]
    assert len(sentences) >= 3
    joined = "\n".join(sentences)
    assert "IT Support" in joined


def test_create_a_modification_by_hand(client: TestClient, agent: Actor) -> None:
    ticket = create_ticket(client, agent, description="Previous description")
    before = modifications(client, agent, ticket["id"])
    response = client.post(f"{HC}/modifications/", headers=agent.headers,
                           json={"ticket_id": ticket["id"], **MANUAL})
    assert response.status_code == 201, response.text
    after = modifications(client, agent, ticket["id"])
    assert after["total"] == before["total"] + 1
    [new] = [m for m in after["modifications"] if m not in before["modifications"]]
    assert_modification(new, agent)
    assert new["total_changes"] == 1
    assert "Updated description" in new["changes"][0]
    # A record of a change made elsewhere: the ticket itself is not edited.
    assert get_ticket(client, agent, ticket["id"])["description"] == "Previous description"


def test_a_manual_modification_of_the_title_reads_like_the_document(client: TestClient,
                                                                   admin: Actor) -> None:
    ticket = create_ticket(client, admin)
    response = client.post(f"{HC}/modifications/", headers=admin.headers, json={
        "ticket_id": ticket["id"], "reason": "Renamed in the old system", "field_name": "title",
        "old_value": ticket["title"], "new_value": "Updated Title"})
    assert response.status_code == 201, response.text
    body = modifications(client, admin, ticket["id"])
    [entry] = _with_sentence(body, 'El títol s\'ha canviat per "Updated Title"')
    assert_modification(entry, admin)


def test_a_manual_modification_of_an_unknown_ticket_is_404(client: TestClient, admin: Actor) -> None:
    assert_error(client.post(f"{HC}/modifications/", headers=admin.headers,
                             json={"ticket_id": "INC999999", **MANUAL}), 404)


def test_a_manual_modification_without_a_ticket_is_400(client: TestClient, admin: Actor) -> None:
    assert_error(client.post(f"{HC}/modifications/", headers=admin.headers, json=MANUAL), 400)


def test_modifications_of_an_unknown_ticket_are_404(client: TestClient, admin: Actor) -> None:
    assert_error(client.get(f"{HC}/tickets/INC999999/modifications", headers=admin.headers), 404)
