"""The quick check for everyday e-mail addresses never accepts what email-validator refuses;
everything else is still decided by email-validator."""

from __future__ import annotations

import random

import pytest
from email_validator import EmailNotValidError, validate_email

from ticketry.domain.text import _plainly_valid_email, is_valid_email


def _validator_accepts(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@pytest.mark.parametrize("address", [
    "john@example.com", "A+B@Example.COM", "o'brien@example.ie", "x@a.co", "a.b.c@d-e.f.io",
    "{weird}|~@example.org", "a@x.c",
])
def test_everyday_addresses_pass_the_quick_check(address: str) -> None:
    assert _plainly_valid_email(address)
    assert is_valid_email(address)


@pytest.mark.parametrize("address", [
    "a..b@example.com", ".a@example.com", "a.@example.com", "a@example", "a@-x.com",
    "a@x-.com", "a@x.123", "a@1.2.3.4", "a@ex_ample.com", "x@host.test", "x@a.invalid",
    "x@LOCALHOST", "x@y.local", "a@b..com", "@example.com", "a@", "a b@example.com",
    "a@" + "x" * 64 + ".com", "l" * 65 + "@example.com", "a@" + ("abcdefgh." * 30) + "com",
])
def test_what_email_validator_refuses_is_refused(address: str) -> None:
    assert not _plainly_valid_email(address)
    assert is_valid_email(address) is _validator_accepts(address)


@pytest.mark.parametrize("address", ["a@xn--80ak6aa92e.com", "josé@example.com",
                                     '"quoted local"@example.com', "a@münchen.de"])
def test_other_addresses_are_left_to_email_validator(address: str) -> None:
    assert not _plainly_valid_email(address)
    assert is_valid_email(address) is _validator_accepts(address)


def test_random_addresses_never_pass_the_quick_check_unless_email_validator_agrees() -> None:
    rng = random.Random(20261206)
    pieces = ["a", "Z", "0", "9", "-", "--", "_", "+", "'", "xn--", "test", "local", "com",
              "c", "1", "é", " ", "\"", "(", "x" * 30, ""]
    tlds = ["com", "c", "123", "test", "LOCAL", "io", "x-y", "é", "", "a1"]

    def word() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))

    accepted = 0
    for _ in range(40_000):
        local = rng.choice([".", "", ".."]).join(word() for _ in range(rng.randint(1, 3)))
        labels = [word() for _ in range(rng.randint(1, 4))]
        address = f"{local}@{'.'.join([*labels, rng.choice(tlds)])}"
        if _plainly_valid_email(address):
            accepted += 1
            assert _validator_accepts(address), address
    assert accepted > 300  # the generator reaches the quick path often enough to mean something
