from __future__ import annotations

from ticketry.domain.errors import NotFound, PermissionDenied, ValidationFailed


class NotificationNotFound(NotFound):
    code = "NOTIFICATION_NOT_FOUND"


class WatcherPermissionDenied(PermissionDenied):
    code = "WATCHER_PERMISSION_DENIED"


class WatcherNotAllowed(ValidationFailed):
    """The person cannot watch this ticket: unknown, deactivated, or unable to see it."""

    code = "WATCHER_NOT_ALLOWED"
