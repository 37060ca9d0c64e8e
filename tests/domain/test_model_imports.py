"""Importing a domain module never configures the ORM's mappers: relationships name models by
string, and a module that configured them at import time made every model imported after it
unknown (a benchmark script importing comments, then search, failed with "Attachment is not
defined")."""

from __future__ import annotations

import subprocess
import sys

import pytest

IMPORT_ORDERS = [
    ("ticketry.domain.comments.models", "ticketry.domain.search.service"),
    ("ticketry.domain.tickets.views", "ticketry.domain.tickets.service"),
    ("ticketry.domain.tickets.permissions", "ticketry.domain.reports.service"),
]


@pytest.mark.parametrize("modules", IMPORT_ORDERS)
def test_mappers_configure_whatever_the_import_order(modules: tuple[str, ...]) -> None:
    imports = "; ".join(f"import {name}" for name in modules)
    script = f"{imports}; import sqlalchemy.orm; sqlalchemy.orm.configure_mappers()"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
