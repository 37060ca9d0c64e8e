"""The healthcare incident desk (`healthcare-api.md`), served under `/healthcare`."""

from ticketry.api.dialects.healthcare.app import create_healthcare_app, raw_error_body

__all__ = ["create_healthcare_app", "raw_error_body"]
