"""The customer support desk (`customer-support-api.md`), served under `/support`."""

from ticketry.api.dialects.support.app import create_support_app, raw_error_body

__all__ = ["create_support_app", "raw_error_body"]
