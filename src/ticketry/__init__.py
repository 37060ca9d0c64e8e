"""Ticketry: one ticketing engine serving the canonical API and the documented dialects."""

__version__ = "0.1.0"
