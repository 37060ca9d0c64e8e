"""Structured logging (structlog over the standard library), configured once per process."""

from __future__ import annotations

import logging
import sys

import orjson
import structlog


def configure_logging(*, debug: bool = False, json_output: bool = False) -> None:
    level = logging.DEBUG if debug else logging.INFO
    # JSON lines are rendered by orjson straight to bytes (a line per request: its cost counts).
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(serializer=orjson.dumps) if json_output
        # Plain tracebacks: rich ones print local variables, and those include settings
        # (secret key, SMTP password) and request data.
        else structlog.dev.ConsoleRenderer(colors=False,
                                           exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *([structlog.processors.dict_tracebacks] if json_output else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=(structlog.BytesLoggerFactory(sys.stderr.buffer) if json_output
                        else structlog.PrintLoggerFactory(sys.stderr)),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
