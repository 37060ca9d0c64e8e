"""Domain errors carry a code and a message; each API maps codes to its own status and shape."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "DOMAIN_ERROR"
    # Most errors undo the request's writes; a few (a security revocation) must keep them.
    keeps_changes = False

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None,
                 **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.context = context


class NotFound(DomainError):
    code = "NOT_FOUND"


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"


class AuthenticationFailed(DomainError):
    code = "AUTHENTICATION_FAILED"


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a rule of the queue or the domain."""

    code = "VALIDATION_ERROR"


class Conflict(DomainError):
    code = "CONFLICT"


class PreconditionFailed(DomainError):
    code = "PRECONDITION_FAILED"


class BusinessRuleViolation(DomainError):
    code = "BUSINESS_RULE_VIOLATION"
