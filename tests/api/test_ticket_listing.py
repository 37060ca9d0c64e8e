"""Listing edge cases: dates without a zone, absurd pages."""

from __future__ import annotations

from tests.factories import login, make_ticket, make_user
from ticketry.domain.users.models import Role


def test_dates_without_a_zone_are_read_as_utc(client, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, Role.MANAGER)
    make_ticket(session, agent)
    session.commit()
    h = login(client, agent)
    since_2020 = client.get("/api/v1/tickets?created_after=2020-01-01", headers=h)
    assert since_2020.status_code == 200, since_2020.text
    assert since_2020.json()["total"] == 1
    before_2020 = client.get("/api/v1/tickets?created_before=2020-01-01T00:00:00", headers=h)
    assert before_2020.json()["total"] == 0


def test_an_absurd_page_number_is_refused_not_a_server_error(client, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, Role.MANAGER)
    session.commit()
    response = client.get(f"/api/v1/tickets?page={10**30}", headers=login(client, agent))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.page"


def test_history_reads_as_sentences_in_the_asked_language(client, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, Role.MANAGER)
    ticket = make_ticket(session, agent)
    session.commit()
    h = login(client, agent)
    client.patch(f"/api/v1/tickets/{ticket.public_id}", headers=h,
                 json={"title": "Updated Title", "priority": "P1"})
    sentences = {}
    for language in ("en", "ca", "es-ES,es;q=0.9"):
        history = client.get(f"/api/v1/tickets/{ticket.public_id}/history",
                             headers={**h, "Accept-Language": language}).json()
        sentences[language[:2]] = [entry["message"] for entry in history]
    assert sentences["en"] == ["Ticket created", 'The priority was changed to "Critical"',
                               'The title was changed to "Updated Title"']
    assert sentences["ca"][2] == 'El títol s\'ha canviat per "Updated Title"'
    assert sentences["es"][2] == 'El título se ha cambiado por "Updated Title"'
