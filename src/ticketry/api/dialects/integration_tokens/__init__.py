"""The integration API (`integration-tokens-api.md`): read-only tickets for API tokens."""

from ticketry.api.dialects.integration_tokens.app import create_integration_app, raw_error_body

__all__ = ["create_integration_app", "raw_error_body"]
