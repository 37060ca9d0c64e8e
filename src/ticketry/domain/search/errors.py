from ticketry.domain.errors import ValidationFailed


class InvalidCursor(ValidationFailed):
    """A cursor this API did not issue, or one issued for another listing or sort order."""

    code = "INVALID_CURSOR"
