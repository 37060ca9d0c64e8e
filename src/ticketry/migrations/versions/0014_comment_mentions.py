"""comment mentions (user ids), and the enterprise queue's permissions for every document role

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

# What presets/enterprise.json lists, for enterprise queues installed before it did.
_ROLE_PERMISSIONS = {
    'user': ['view_tickets', 'create_tickets', 'comment_tickets'],
    'manager': ['view_tickets', 'create_tickets', 'comment_tickets', 'update_tickets',
                'assign_tickets', 'internal_comments', 'approve_requests', 'view_reports',
                'export_data', 'manage_webhooks'],
    'admin': ['view_tickets', 'create_tickets', 'comment_tickets', 'update_tickets',
              'assign_tickets', 'internal_comments', 'approve_requests', 'view_reports',
              'export_data', 'manage_webhooks', 'delete_tickets', 'manage_users'],
    'DEVOPS_ENGINEER': ['view_tickets', 'create_tickets', 'comment_tickets',
                        'update_assigned_tickets', 'internal_comments', 'view_reports',
                        'export_data', 'manage_webhooks'],
}


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite: the search index's triggers read
    # this table); the default fills the rows there are.
    op.add_column('comments', sa.Column('mentions', _JSON, nullable=False,
                                        server_default=sa.text("'[]'")))
    _add_enterprise_permissions()


def _add_enterprise_permissions() -> None:
    queues = sa.table('queues', sa.column('id', sa.Integer()), sa.column('key', sa.String()),
                      sa.column('settings', _JSON), sa.column('config_version', sa.Integer()))
    bind = op.get_bind()
    row = bind.execute(sa.select(queues.c.id, queues.c.settings, queues.c.config_version)
                       .where(queues.c.key == 'enterprise')).first()
    if row is None:
        return
    settings: dict[str, Any] = dict(row.settings or {})
    # Roles the queue already lists keep their permissions.
    settings['role_permissions'] = {**_ROLE_PERMISSIONS,
                                    **dict(settings.get('role_permissions') or {})}
    bind.execute(queues.update().where(queues.c.id == row.id)
                 .values(settings=settings, config_version=row.config_version + 1))


def downgrade() -> None:
    op.drop_column('comments', 'mentions')
