"""PostgreSQL: the search index refresh is planned for each call

`ticket_search_refresh(ids)` (0011) runs from statement-level triggers on every ticket and
comment write. PL/pgSQL caches its statements' plans per connection, and after five calls it may
switch to a generic plan, chosen without knowing the ids: on a young table (a new installation,
a restored copy) that plan scans the whole tickets table. Pooled connections keep the plan, so
every later write scanned every ticket: seeding 100 000 tickets one statement at a time slowed
from thousands of rows per second to under a hundred (45 000 scans, a billion rows read), and a
single ticket create grew with the table. Planned per call, the lookups use the primary keys.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER FUNCTION ticket_search_refresh(integer[]) '
                   'SET plan_cache_mode = force_custom_plan')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER FUNCTION ticket_search_refresh(integer[]) RESET plan_cache_mode')
