"""indexes of columns most tickets leave empty hold only the tickets that have a value

`customer_id`, `customer_email`, `assignee_ref`, `team_id`, `location`, `tool`,
`environment`, `resolved_at` and `deleted_at` are empty on most tickets (a desk's own fields, an
outside assignee, the resolution and deletion times), yet every ticket had an entry in each of
their indexes: one more page written per index on every create. The customer's email is
filtered case-blind (`lower(customer_email) = ?`), which its plain index never served: it is now
an index of `lower(customer_email)`. Partial indexes (`WHERE column
IS NOT NULL`) keep only the tickets with a value. Every filter on these columns compares a value
(`=`, `IN`, a range), which implies the value is present, so SQLite and PostgreSQL still search
them (checked with EXPLAIN on both, generic PostgreSQL plans included). A canonical create, which
fills none of them, writes 9 index entries fewer: 50 -> 41 WAL pages per create on SQLite. It
also removes the plan 0015 warned of: `deleted_at IS NULL`, true of nearly every ticket, can no
longer be read through `ix_tickets_deleted_at`.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ('customer_id', 'assignee_ref', 'team_id', 'location', 'tool', 'environment',
            'resolved_at', 'deleted_at')
_EMAIL_PRESENT = sa.text('customer_email IS NOT NULL')


def upgrade() -> None:
    for column in _COLUMNS:
        present = sa.text(f'{column} IS NOT NULL')
        op.drop_index(f'ix_tickets_{column}', table_name='tickets')
        op.create_index(f'ix_tickets_{column}', 'tickets', [column], unique=False,
                        postgresql_where=present, sqlite_where=present)
    op.drop_index('ix_tickets_customer_email', table_name='tickets')
    op.create_index('ix_tickets_customer_email', 'tickets', [sa.text('lower(customer_email)')],
                    unique=False, postgresql_where=_EMAIL_PRESENT, sqlite_where=_EMAIL_PRESENT)
    if op.get_bind().dialect.name == 'sqlite':
        # The planner weighs indexes by their statistics (see 0015); give the new ones theirs.
        op.execute('ANALYZE tickets')


def downgrade() -> None:
    for column in (*_COLUMNS, 'customer_email'):
        op.drop_index(f'ix_tickets_{column}', table_name='tickets')
        op.create_index(f'ix_tickets_{column}', 'tickets', [column], unique=False)
