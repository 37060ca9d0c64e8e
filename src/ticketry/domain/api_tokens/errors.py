from ticketry.domain.errors import AuthenticationFailed, NotFound


class ApiTokenNotFound(NotFound):
    code = "API_TOKEN_NOT_FOUND"


class InvalidApiToken(AuthenticationFailed):
    code = "INVALID_API_TOKEN"
