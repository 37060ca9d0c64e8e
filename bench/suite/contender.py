"""The contract between the suite and each contender (Ticketry, the ceiling, django-helpdesk).

A contender seeds its own database with the same data shape, says how to start its server and
what each operation requests; the suite starts it, loads it with wrk and measures it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# Every operation the suite knows, in the order the report lists them.
OPERATIONS: tuple[str, ...] = ("get", "list", "create", "comment", "search", "dashboard")


@dataclass(frozen=True)
class RequestSpec:
    method: str  # GET / POST
    paths: list[str]  # rotated round-robin by the load generator (e.g. many ids)
    body: bytes | None = None  # JSON body for POST (same body each time is fine)
    content_type: str = "application/json"


@dataclass
class Prepared:
    """What a prepared contender needs to serve: env vars, the auth header for an agent."""

    env: dict[str, str]
    # e.g. {"Authorization": "Bearer ..."} (every request authenticated as an agent)
    headers: dict[str, str]
    # operation name -> spec; operations: "get", "list", "create", "comment", "search", "dashboard"
    requests: dict[str, RequestSpec] = field(default_factory=dict)


class Contender(Protocol):
    name: str  # "ticketry", "ceiling", "django-helpdesk"
    operations: tuple[str, ...]  # which operations it serves

    # Optional, read with getattr by run.py: `backends` (a tuple; others are reported as
    # skipped) and `notes` (a sentence for the report's header: how this contender differs).

    def prepare(self, *, backend: str, size: int, workdir: Path) -> Prepared:
        """Create/seed its database with `size` tickets (backend "sqlite" or "postgresql";
        PostgreSQL server at 127.0.0.1:5432, user postgres, trust auth: create its own database
        named bench_<contender>_<size>), cache it under workdir so a rerun with the same
        (backend, size) reuses it. Returns how to start it and what to request."""
        ...

    def command(self, *, port: int, workers: int, prepared: Prepared) -> list[str]:
        """argv that serves on 127.0.0.1:port with `workers` worker processes."""
        ...
