"""covering indexes for the dashboard and the performance report, and fresh statistics

Measured on 100 000 tickets created over a year (bench/dashboard.py, SQLite 3.40): a dashboard
or report whose range covers most tickets read them through `ix_tickets_created_at` /
`ix_tickets_resolved_at`, one table lookup per ticket, then sorted them for GROUP BY
(dashboard 1 year ~290 ms, performance report 1 year ~570 ms). SQLite has no range statistics
(no STAT4), so it cannot tell a 7-day range from a 2-year one: each index below is read in
place of the table whatever the range, and is fast for both.

- `ix_tickets_dashboard_created`: the dashboard's counts, grouped by (queue, status, status
  category, category, ticket type) for tickets created in a range. In GROUP BY order, with
  `created_at` last: SQLite skip-scans it (`ANY(queue_id) AND ... AND created_at>?`), reading
  only the entries in range and no table row, already grouped (1 year ~200 -> ~22 ms; 30 days
  ~29 -> ~4 ms).
- `ix_tickets_report_resolved`: everything the resolution figures read (dashboard and
  performance report), by `resolved_at` (dashboard 1 year ~75 -> ~19 ms).
- `ix_tickets_report_created`: the performance report's figures of tickets created in a range
  (assigned, first response), by `created_at`.

Only tickets not deleted are indexed (every report filters them out). `deleted_at` is also an
indexed column: SQLite 3.40's planner counts a partial index as covering only when it holds the
column of its own WHERE.

SQLite's planner needs `ANALYZE` statistics to skip-scan (and without any it picks
`ix_tickets_deleted_at` for `deleted_at IS NULL`, which matches every ticket): the tickets table
is analyzed here (~0.1 s per 100 000 tickets; an empty table gets no statistics, so a new
database keeps the defaults). PostgreSQL's autovacuum keeps its own statistics.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_DELETED = sa.text('deleted_at IS NULL')
_INDEXES = {
    'ix_tickets_dashboard_created': ['queue_id', 'status', 'status_category', 'category',
                                     'ticket_type', 'created_at', 'deleted_at'],
    'ix_tickets_report_resolved': ['resolved_at', 'created_at', 'resolution_minutes',
                                   'resolution_due_at', 'resolution_breached_at',
                                   'satisfaction_rating', 'assignee_id', 'team_id', 'queue_id',
                                   'deleted_at'],
    'ix_tickets_report_created': ['created_at', 'assignee_id', 'team_id', 'first_response_at',
                                  'queue_id', 'deleted_at'],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, 'tickets', columns, unique=False,
                        postgresql_where=_NOT_DELETED, sqlite_where=_NOT_DELETED)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ANALYZE tickets')


def downgrade() -> None:
    for name in reversed(list(_INDEXES)):
        op.drop_index(name, table_name='tickets')
