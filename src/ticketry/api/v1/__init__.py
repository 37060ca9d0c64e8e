"""The canonical API, `/api/v1` (the devops-service document and everything beyond it)."""

from ticketry.api.routing import SegmentRouter
from ticketry.api.v1 import (
    approvals,
    attachments,
    auth,
    comments,
    links,
    notifications,
    queues,
    reports,
    tickets,
    tokens,
    users,
    webhooks,
)

# In the order requests most often need them: a router's routes are tried one by one (but a
# request outside a router's paths skips it: `SegmentRouter`).
routers: tuple[SegmentRouter, ...] = (
    tickets.router, comments.router, auth.router, attachments.router, users.router,
    tokens.router, queues.router, webhooks.router, notifications.router, approvals.router,
    links.router, reports.router,
)
