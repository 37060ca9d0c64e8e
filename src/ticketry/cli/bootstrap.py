"""First start: migrations, queue presets, the administrator."""

from __future__ import annotations

from dataclasses import dataclass

from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.queues.service import install_presets
from ticketry.domain.users.service import (
    BootstrapResult,
    ensure_admin,
    ensure_support_anonymous_user,
)
from ticketry.migrations import upgrade_to_head


@dataclass(frozen=True, slots=True)
class BootstrapReport:
    presets_installed: list[str]
    admin: BootstrapResult | None


def bootstrap(database: Database, settings: Settings) -> BootstrapReport:
    upgrade_to_head(database.engine)
    with database.unit_of_work() as session:
        installed = install_presets(session)
        if settings.support_allow_anonymous:
            ensure_support_anonymous_user(session)
        admin = ensure_admin(session, username=settings.admin_username,
                             email=settings.admin_email, password=settings.admin_password)
    return BootstrapReport(installed, admin)
