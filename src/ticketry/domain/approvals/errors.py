from ticketry.domain.errors import BusinessRuleViolation, Conflict, NotFound, PermissionDenied


class ApprovalNotFound(NotFound):
    code = "APPROVAL_NOT_FOUND"


class ApprovalAlreadyOpen(Conflict):
    """The ticket already has an open approval request."""

    code = "APPROVAL_ALREADY_PENDING"


class NotAnApprover(PermissionDenied):
    code = "NOT_AN_APPROVER"


class ApprovalNotActionable(BusinessRuleViolation):
    """The approval was already decided, handed on, or is not yet its approver's turn."""

    code = "APPROVAL_NOT_ACTIONABLE"
