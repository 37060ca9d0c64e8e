"""A Python client of Ticketry's canonical API (`/api/v1`), sync and async, over httpx.

```python
from ticketry.sdk import TicketSystemClient

with TicketSystemClient(base_url="http://127.0.0.1:8000") as client:
    auth = client.auth.login("admin", "password")
    client.set_token(auth.access_token)
    for ticket in client.tickets.list(status="OPEN", size=50):
        print(ticket.key, ticket.title)
```

The SDK speaks HTTP only: it imports nothing of the server, and works against any Ticketry
server (import-linter keeps it that way)."""

from ticketry.sdk.async_client import AsyncTicketSystemClient
from ticketry.sdk.client import TicketSystemClient
from ticketry.sdk.errors import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
    TicketSystemError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
)
from ticketry.sdk.models import (
    Approval,
    ApprovalActionResult,
    Attachment,
    Comment,
    Dashboard,
    DownloadedFile,
    LoginResult,
    Page,
    Team,
    Ticket,
    TokenPair,
    User,
    Webhook,
)

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "Approval",
    "ApprovalActionResult",
    "AsyncTicketSystemClient",
    "Attachment",
    "AuthenticationError",
    "BadRequestError",
    "Comment",
    "ConflictError",
    "Dashboard",
    "DownloadedFile",
    "LoginResult",
    "NotFoundError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ServerError",
    "Team",
    "Ticket",
    "TicketSystemClient",
    "TicketSystemError",
    "TokenPair",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "User",
    "Webhook",
]
