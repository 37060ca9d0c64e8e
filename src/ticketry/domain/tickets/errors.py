from ticketry.domain.errors import BusinessRuleViolation, Conflict, NotFound, PreconditionFailed


class TicketNotFound(NotFound):
    code = "TICKET_NOT_FOUND"


class InvalidTransition(BusinessRuleViolation):
    code = "INVALID_STATUS_TRANSITION"


class ReopenWindowExpired(BusinessRuleViolation):
    code = "REOPEN_WINDOW_EXPIRED"


class VersionMismatch(PreconditionFailed):
    code = "VERSION_MISMATCH"


class TicketKeyTaken(Conflict):
    code = "TICKET_KEY_TAKEN"
