from ticketry.domain.errors import DomainError, NotFound, ValidationFailed


class AttachmentNotFound(NotFound):
    code = "ATTACHMENT_NOT_FOUND"


class FileTooLarge(DomainError):
    code = "FILE_TOO_LARGE"


class UnsupportedFileType(ValidationFailed):
    code = "UNSUPPORTED_FILE_TYPE"


class ContentMismatch(ValidationFailed):
    code = "FILE_CONTENT_MISMATCH"


class AttachmentInfected(ValidationFailed):
    """The virus scanner found something in the file: refused, and its bytes deleted."""

    code = "ATTACHMENT_INFECTED"


class ScannerUnavailable(DomainError):
    """The virus scanner could not check the file (unreachable, too slow, or failing): the file
    is refused, as an unchecked file is not accepted when a scanner is configured."""

    code = "EXTERNAL_SERVICE_ERROR"
