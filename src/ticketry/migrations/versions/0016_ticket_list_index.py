"""the ticket list's index: a status filter, newest first

`GET /api/v1/tickets?status=OPEN&sort_by=created_at&order=desc` (and every document's list
filtered by status) read `ix_tickets_created_at` backwards, testing each ticket's status until a
page was full: with few tickets in the status, most of the table. `(status, created_at)` reads
exactly the page, already in order, and serves the list's COUNT without reading the table (100 000
tickets, 5 000 open: 6 ms -> 0.1 ms on SQLite). Only tickets not deleted, with `deleted_at` as a
column, as in 0015 (SQLite counts a partial index as covering only if it holds that column).

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_DELETED = sa.text('deleted_at IS NULL')


def upgrade() -> None:
    op.create_index('ix_tickets_status_created', 'tickets',
                    ['status', 'created_at', 'deleted_at'], unique=False,
                    postgresql_where=_NOT_DELETED, sqlite_where=_NOT_DELETED)
    if op.get_bind().dialect.name == 'sqlite':
        # The planner weighs indexes by their statistics (see 0015); give the new one its own.
        op.execute('ANALYZE tickets')


def downgrade() -> None:
    op.drop_index('ix_tickets_status_created', table_name='tickets')
