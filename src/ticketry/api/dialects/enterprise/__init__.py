"""The enterprise service desk (`enterprise-api.md`), served under `/enterprise`."""

from ticketry.api.dialects.enterprise.app import create_enterprise_app
from ticketry.api.dialects.enterprise.envelopes import raw_error_body

__all__ = ["create_enterprise_app", "raw_error_body"]
