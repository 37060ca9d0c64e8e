from ticketry.domain.errors import NotFound


class CommentNotFound(NotFound):
    code = "COMMENT_NOT_FOUND"
