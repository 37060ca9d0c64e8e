from ticketry.domain.errors import ValidationFailed

# Every report error is a validation error (code VALIDATION_ERROR, so each API answers it as its
# own bad-input shape) naming the parameter at fault in `field`.


class ReportError(ValidationFailed):
    """A report or export asked for with parameters it cannot have."""


class InvalidPeriod(ReportError):
    """A dashboard period that is not `<n>d`, `<n>w`, `<n>m` or `<n>y` within the limits."""


class InvalidDateRange(ReportError):
    """A performance report whose end comes before its start, or that spans too long."""


class InvalidExportRequest(ReportError):
    """An export of an unknown kind or format, with unknown columns or malformed filters."""
