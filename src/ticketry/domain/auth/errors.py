from ticketry.domain.errors import AuthenticationFailed


class InvalidCredentials(AuthenticationFailed):
    code = "INVALID_CREDENTIALS"


class InvalidToken(AuthenticationFailed):
    code = "INVALID_TOKEN"


class TokenReused(AuthenticationFailed):
    code = "REFRESH_TOKEN_REUSED"
