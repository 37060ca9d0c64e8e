from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.domain.webhooks.receiver import Receiver, running_receiver
from ticketry.config import Settings


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from running_receiver()


@pytest.fixture
def local_settings(settings: Settings) -> Settings:
    """Deliveries to the loopback receiver allowed; retries without waiting."""
    return settings.model_copy(update={"webhook_allow_private_targets": True,
                                       "webhook_retry_schedule": "0,0,0",
                                       "webhook_timeout_seconds": 5.0})
