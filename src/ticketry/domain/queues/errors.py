from ticketry.domain.errors import NotFound


class QueueNotFound(NotFound):
    code = "QUEUE_NOT_FOUND"
