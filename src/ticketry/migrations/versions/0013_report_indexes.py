"""indexes for reports and exports

Reports read tickets by two time ranges: created in a period (`ix_tickets_created_at` and
`ix_tickets_queue_created` exist) and resolved in a period, which had no index. Measured on
100 000 tickets (bench/dashboard.py): the dashboard's resolution figures read the whole table
(SQLite `SCAN tickets`, ~95 ms; PostgreSQL parallel seq scan, ~30 ms), and the performance
report's `created in range OR resolved in range` could not use an index for either branch. With
`ix_tickets_resolved_at` both read only the rows in range (SQLite `SEARCH ... USING INDEX
ix_tickets_resolved_at`, ~17 ms; the performance report's OR becomes a MULTI-INDEX OR / a
BitmapOr). Exports page by the primary key and need nothing more.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_tickets_resolved_at', 'tickets', ['resolved_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_resolved_at', table_name='tickets')
