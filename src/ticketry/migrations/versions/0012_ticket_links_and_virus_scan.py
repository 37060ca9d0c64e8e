"""ticket links (relates_to, duplicates, parent/child) and attachment virus-scan status

`attachments.virus_scan_status` exists since 0001 (always `not_scanned` until now); uploads
scanned by clamd are `clean`, infected ones are refused and never stored.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ticketry.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARENT = "kind = 'parent_of'"


def upgrade() -> None:
    op.create_table(
        'ticket_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', ticketry.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('source_id <> target_id', name=op.f('ck_ticket_links_not_self')),
        sa.CheckConstraint("kind IN ('relates_to', 'duplicates', 'parent_of')",
                           name=op.f('ck_ticket_links_kind')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_ticket_links_created_by_id_users')),
        sa.ForeignKeyConstraint(['source_id'], ['tickets.id'], ondelete='CASCADE',
                                name=op.f('fk_ticket_links_source_id_tickets')),
        sa.ForeignKeyConstraint(['target_id'], ['tickets.id'], ondelete='CASCADE',
                                name=op.f('fk_ticket_links_target_id_tickets')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_links')),
        sa.UniqueConstraint('source_id', 'target_id', 'kind',
                            name=op.f('uq_ticket_links_source_id_target_id_kind')),
    )
    with op.batch_alter_table('ticket_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_links_created_by_id'), ['created_by_id'],
                              unique=False)
        batch_op.create_index('ix_ticket_links_target_kind', ['target_id', 'kind'], unique=False)
        batch_op.create_index('uq_ticket_links_one_parent', ['target_id'], unique=True,
                              postgresql_where=sa.text(_PARENT), sqlite_where=sa.text(_PARENT))


def downgrade() -> None:
    op.drop_table('ticket_links')
