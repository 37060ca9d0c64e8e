"""The ASGI entry point for servers: `uvicorn ticketry.api.asgi:app`."""

from ticketry.api.app import create_app
from ticketry.config import get_settings
from ticketry.log import configure_logging

configure_logging(debug=get_settings().debug, json_output=get_settings().environment == "production")
app = create_app()
