from ticketry.domain.errors import Conflict, NotFound


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"


class UserAlreadyExists(Conflict):
    code = "USER_ALREADY_EXISTS"


class TeamNotFound(NotFound):
    code = "TEAM_NOT_FOUND"
