"""The ASGI entry point for servers: `uvicorn ticketry.api.asgi:app`."""

from ticketry.api.app import create_app

app = create_app()
