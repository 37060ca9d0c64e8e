"""The canonical API, `/api/v1` (the devops-service document and everything beyond it)."""

from fastapi import APIRouter

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

router = APIRouter()
# In the order requests most often need them: each route tried before the match costs time.
router.include_router(tickets.router)
router.include_router(comments.router)
router.include_router(auth.router)
router.include_router(attachments.router)
router.include_router(users.router)
router.include_router(tokens.router)
router.include_router(queues.router)
router.include_router(webhooks.router)
router.include_router(notifications.router)
router.include_router(approvals.router)
router.include_router(links.router)
router.include_router(reports.router)
