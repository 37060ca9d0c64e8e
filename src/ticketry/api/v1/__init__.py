"""The canonical API, `/api/v1` (the devops-service document and everything beyond it)."""

from fastapi import APIRouter

from ticketry.api.v1 import attachments, auth, comments, queues, tickets, tokens, users

router = APIRouter()
router.include_router(auth.router)
router.include_router(tickets.router)
router.include_router(comments.router)
router.include_router(attachments.router)
router.include_router(users.router)
router.include_router(tokens.router)
router.include_router(queues.router)
