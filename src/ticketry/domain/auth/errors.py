from ticketry.domain.errors import AuthenticationFailed


class InvalidCredentials(AuthenticationFailed):
    code = "INVALID_CREDENTIALS"


class InvalidToken(AuthenticationFailed):
    code = "INVALID_TOKEN"


class TokenReused(AuthenticationFailed):
    """The request fails, but the session it ended must stay ended."""

    code = "REFRESH_TOKEN_REUSED"
    keeps_changes = True
