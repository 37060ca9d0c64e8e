from ticketry.domain.errors import BusinessRuleViolation, Conflict, NotFound, ValidationFailed


class TicketLinkNotFound(NotFound):
    code = "TICKET_LINK_NOT_FOUND"


class InvalidTicketLink(ValidationFailed):
    """A link that cannot exist whatever the other links: unknown kind, a ticket to itself."""

    code = "INVALID_TICKET_LINK"


class TicketLinkExists(Conflict):
    code = "TICKET_LINK_EXISTS"


class TicketLinkNotAllowed(BusinessRuleViolation):
    """A link the existing ones forbid: a second parent, a cycle, duplicates both ways."""

    code = "TICKET_LINK_NOT_ALLOWED"
