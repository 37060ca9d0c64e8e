"""A key prefix of one's own in the local Redis (tests run in parallel, and several runs may
share the server), with its keys deleted afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

REDIS_URL = os.environ.get("TICKETRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def own_key_prefix() -> Iterator[str]:
    prefix = f"ticketry-test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        with redis.Redis.from_url(REDIS_URL) as client:
            keys = list(client.scan_iter(match=f"{prefix}:*"))
            if keys:
                client.delete(*keys)
