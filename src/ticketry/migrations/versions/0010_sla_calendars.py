"""sla calendars: indexes for the SLA breach check and for sorting by response due time

Business hours live in queues.settings (JSON, no schema change); tickets.sla_paused_at
exists since 0006.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only targets still running are indexed (see Ticket.__table_args__).
_TICKET_OPEN = 'resolved_at IS NULL AND closed_at IS NULL AND deleted_at IS NULL'
_RESPONSE_OPEN = f'response_breached_at IS NULL AND first_response_at IS NULL AND {_TICKET_OPEN}'
_RESOLUTION_OPEN = f'resolution_breached_at IS NULL AND {_TICKET_OPEN}'


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_response_due_at'), ['response_due_at'], unique=False)
        batch_op.create_index('ix_tickets_response_sla_open', ['response_due_at'], unique=False, postgresql_where=sa.text(_RESPONSE_OPEN), sqlite_where=sa.text(_RESPONSE_OPEN))
        batch_op.create_index('ix_tickets_resolution_sla_open', ['resolution_due_at'], unique=False, postgresql_where=sa.text(_RESOLUTION_OPEN), sqlite_where=sa.text(_RESOLUTION_OPEN))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_resolution_sla_open')
        batch_op.drop_index('ix_tickets_response_sla_open')
        batch_op.drop_index(batch_op.f('ix_tickets_response_due_at'))
