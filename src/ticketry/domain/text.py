"""Input text types shared by every schema: no NUL bytes reach the database."""

from __future__ import annotations

import re
from functools import cache
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


# The everyday address -- ASCII dot-atoms at a plain host name -- which email-validator always
# accepts; anything else (quoting, IDNA, unusual labels) goes to email-validator. Checking each
# imported row with the full validator took a fifth of an import's time.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>(?:{_LABEL}\.)+(?P<tld>[A-Za-z]{{1,63}}))")


def _plainly_valid_email(value: str) -> bool:
    match = _PLAIN_ADDRESS.fullmatch(value)
    if match is None or len(value) > 254 or len(match["local"]) > 64:
        return False
    domain = match["domain"]
    # Punycode and other "--" labels follow IDNA rules; special-use names are refused.
    return ("--" not in domain and len(domain) <= 253
            and match["tld"].lower() not in _special_use_names())


@cache
def _special_use_names() -> frozenset[str]:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    return frozenset(SPECIAL_USE_DOMAIN_NAMES)


def is_valid_email(value: str) -> bool:
    """Syntax only (no DNS): what a form or an import row can be checked against."""
    if _plainly_valid_email(value):
        return True
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
