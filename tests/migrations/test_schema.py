"""The migrations produce exactly the schema the models declare."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ticketry.db import Base
from ticketry.domain import models  # noqa: F401  (registers every table)
from ticketry.migrations import include_in_comparison


# SQLite cannot reflect an index on an expression (ix_tickets_customer_email, on
# lower(customer_email)), so Alembic compares it on PostgreSQL only; its definition on SQLite is
# checked in tests/domain/tickets/test_indexes.py.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrated_database_matches_the_models(connection) -> None:  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_name": include_in_comparison})
    differences = compare_metadata(context, Base.metadata)
    assert differences == []
