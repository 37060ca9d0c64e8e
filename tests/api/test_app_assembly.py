"""How the application is put together: routes tried in a fixed order, so the documents' APIs
(mounted first, one prefix test each) must never shadow the canonical API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BoundDatabase
from ticketry.api.app import create_app
from ticketry.config import Settings


@pytest.mark.parametrize(("setting", "prefix"), [
    ("enterprise_api_prefix", "/api/v1"),
    ("healthcare_api_prefix", "/api/v1/incidents"),
    ("support_api_prefix", "/api/v1/support/"),
])
def test_a_document_api_under_the_canonical_prefix_is_refused(
        settings: Settings, db: BoundDatabase, setting: str, prefix: str) -> None:
    with pytest.raises(ValueError, match="would shadow the canonical API"):
        create_app(settings.model_copy(update={setting: prefix}), db)


def test_a_document_api_beside_the_canonical_prefix_is_served(
        settings: Settings, db: BoundDatabase) -> None:
    app = create_app(settings.model_copy(update={"enterprise_api_prefix": "/api/v1-enterprise"}),
                     db)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/api/v1-enterprise/tickets").status_code == 401
        assert client.get("/api/v1/tickets").status_code == 401
        assert client.get("/health").status_code == 200
