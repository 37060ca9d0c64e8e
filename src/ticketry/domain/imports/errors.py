from ticketry.domain.errors import ValidationFailed


class UnsupportedImportFormat(ValidationFailed):
    code = "UNSUPPORTED_IMPORT_FORMAT"


class MalformedImportFile(ValidationFailed):
    code = "MALFORMED_IMPORT_FILE"
