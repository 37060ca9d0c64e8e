"""The dialect's mount prefix is configurable and the dialect can be switched off (PRODUCT.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conformance.healthcare.support import CENTERS, EXAMPLE_TICKET, token_for
from tests.factories import PASSWORD, make_user
from ticketry.api.app import create_app
from ticketry.config import Settings
from ticketry.domain.users.models import Role


@pytest.fixture
def configured(settings: Settings, db):  # type: ignore[no-untyped-def]
    def make(**update: object) -> Iterator[TestClient]:
        app = create_app(settings.model_copy(update=update), db)
        with TestClient(app, base_url="http://127.0.0.1") as c:
            yield c

    return make


def test_another_prefix(configured, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.ADMIN)
    session.commit()
    for client in configured(healthcare_api_prefix="/desk/health"):
        token = client.post("/desk/health/token", data={"username": user.username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert client.get("/desk/health/center/", headers=headers).json() == CENTERS
        created = client.post("/desk/health/tickets/", headers=headers, json=EXAMPLE_TICKET)
        assert created.status_code == 201, created.text
        assert token_for(client, user.username, PASSWORD).status_code == 404


def test_switched_off(configured, session: Session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, Role.ADMIN)
    session.commit()
    for client in configured(healthcare_api_enabled=False):
        assert token_for(client, user.username, PASSWORD).status_code == 404
        assert client.get("/healthcare/status/").status_code == 404
        assert client.get("/health").status_code == 200
