"""approvals

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ticketry.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_OPEN = sa.text("status = 'pending'")
# The enterprise preset's automatic approval rule, for databases that installed the preset
# before it had one (a fresh database installs the preset after migrating, rule included).
_ENTERPRISE_RULE = {"approver_role": "MANAGER", "approver_team": "ticket",
                    "auto_request_reason": "Tickets of this type need a manager's approval"}


def upgrade() -> None:
    op.create_table('approval_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('previous_status', sa.String(length=64), nullable=True),
    sa.Column('created_at', ticketry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', ticketry.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_approval_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_approval_requests_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_requests')),
    sa.UniqueConstraint('public_id', name=op.f('uq_approval_requests_public_id'))
    )
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_requests_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_requests_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('uq_approval_requests_open_ticket', ['ticket_id'], unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN)

    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('approver_role', sa.String(length=32), nullable=True),
    sa.Column('approver_team_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('acted_by_id', sa.Integer(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.Column('conditions', _JSON, nullable=False),
    sa.Column('created_at', ticketry.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activated_at', ticketry.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalate_at', ticketry.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', ticketry.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delegated_from_id', sa.Integer(), nullable=True),
    sa.Column('escalated_from_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acted_by_id'], ['users.id'], name=op.f('fk_approvals_acted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['approver_id'], ['users.id'], name=op.f('fk_approvals_approver_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['approver_team_id'], ['teams.id'], name=op.f('fk_approvals_approver_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['delegated_from_id'], ['approvals.id'], name=op.f('fk_approvals_delegated_from_id_approvals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['escalated_from_id'], ['approvals.id'], name=op.f('fk_approvals_escalated_from_id_approvals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['approval_requests.id'], name=op.f('fk_approvals_request_id_approval_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_approvals_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals')),
    sa.UniqueConstraint('public_id', name=op.f('uq_approvals_public_id'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_acted_by_id'), ['acted_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_approver_id'), ['approver_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_approver_team_id'), ['approver_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_delegated_from_id'), ['delegated_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_escalated_from_id'), ['escalated_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approvals_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('ix_approvals_status_approver', ['status', 'approver_id'], unique=False)
        batch_op.create_index('ix_approvals_status_role', ['status', 'approver_role'], unique=False)
        batch_op.create_index('ix_approvals_status_escalate_at', ['status', 'escalate_at'], unique=False)

    _add_enterprise_rule()


def _add_enterprise_rule() -> None:
    queues = sa.table('queues', sa.column('id', sa.Integer()), sa.column('key', sa.String()),
                      sa.column('settings', _JSON), sa.column('config_version', sa.Integer()))
    bind = op.get_bind()
    row = bind.execute(sa.select(queues.c.id, queues.c.settings, queues.c.config_version)
                       .where(queues.c.key == 'enterprise')).first()
    if row is None:
        return
    settings: dict[str, Any] = dict(row.settings or {})
    approval = dict(settings.get('approval') or {})
    if 'approver_role' in approval:
        return
    settings['approval'] = {**approval, **_ENTERPRISE_RULE}
    bind.execute(queues.update().where(queues.c.id == row.id)
                 .values(settings=settings, config_version=row.config_version + 1))


def downgrade() -> None:
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index('ix_approvals_status_escalate_at')
        batch_op.drop_index('ix_approvals_status_role')
        batch_op.drop_index('ix_approvals_status_approver')
        batch_op.drop_index(batch_op.f('ix_approvals_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_approvals_request_id'))
        batch_op.drop_index(batch_op.f('ix_approvals_escalated_from_id'))
        batch_op.drop_index(batch_op.f('ix_approvals_delegated_from_id'))
        batch_op.drop_index(batch_op.f('ix_approvals_approver_team_id'))
        batch_op.drop_index(batch_op.f('ix_approvals_approver_id'))
        batch_op.drop_index(batch_op.f('ix_approvals_acted_by_id'))

    op.drop_table('approvals')
    with op.batch_alter_table('approval_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_approval_requests_open_ticket', postgresql_where=_OPEN, sqlite_where=_OPEN)
        batch_op.drop_index(batch_op.f('ix_approval_requests_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_approval_requests_requested_by_id'))

    op.drop_table('approval_requests')
