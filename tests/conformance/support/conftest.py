"""Fixtures for the customer-support-api.md conformance suite.

The document has no authentication: its examples run against an app built with
`support_allow_anonymous` on (`TICKETRY_SUPPORT_ALLOW_ANONYMOUS=true`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import BoundDatabase
from ticketry.api.app import create_app
from ticketry.config import Settings


@pytest.fixture
def anonymous_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"support_allow_anonymous": True})


@pytest.fixture
def anonymous_app(anonymous_settings: Settings, db: BoundDatabase) -> FastAPI:
    return create_app(anonymous_settings, db)


@pytest.fixture
def api(anonymous_app: FastAPI) -> Iterator[TestClient]:
    """A client of the desk as the document describes it: no credentials."""
    with TestClient(anonymous_app, base_url="http://127.0.0.1") as c:
        yield c
