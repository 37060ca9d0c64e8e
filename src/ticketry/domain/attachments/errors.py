from ticketry.domain.errors import DomainError, NotFound, ValidationFailed


class AttachmentNotFound(NotFound):
    code = "ATTACHMENT_NOT_FOUND"


class FileTooLarge(DomainError):
    code = "FILE_TOO_LARGE"


class UnsupportedFileType(ValidationFailed):
    code = "UNSUPPORTED_FILE_TYPE"


class ContentMismatch(ValidationFailed):
    code = "FILE_CONTENT_MISMATCH"
