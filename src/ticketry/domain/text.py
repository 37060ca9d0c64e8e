"""Input text types shared by every schema: no NUL bytes reach the database."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator


def _reject_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


CleanStr = Annotated[str, AfterValidator(_reject_nul)]

MAX_JSON_DEPTH = 10


def check_json_value(value: Any, *, depth: int = 0) -> Any:
    """Free JSON (ticket metadata) stays shallow and NUL-free."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"must not be nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        _reject_nul(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(str(key))
            check_json_value(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json_value(item, depth=depth + 1)
    return value


def strip_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def is_valid_email(value: str) -> bool:
    """Syntax only (no DNS): what a form or an import row can be checked against."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
