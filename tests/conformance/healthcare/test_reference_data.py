"""healthcare-api.md, "Reference Data": exactly the document's arrays."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.healthcare.support import CENTERS, CRITS, HC, STATUSES, TOOLS, Actor


@pytest.mark.parametrize(("path", "expected"), [
    ("/status/", STATUSES), ("/crit/", CRITS), ("/tool/", TOOLS), ("/center/", CENTERS),
])
def test_reference_data_is_exactly_the_documents(client: TestClient, end_user: Actor, path: str,
                                                 expected: list[dict[str, Any]]) -> None:
    response = client.get(f"{HC}{path}", headers=end_user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == expected
    # The descriptions are the document's (Catalan) ones whatever the reader's language.
    spanish = client.get(f"{HC}{path}", headers={**end_user.headers, "Accept-Language": "es"})
    assert spanish.json() == expected


def test_nested_objects_agree_with_the_reference_data(client: TestClient, admin: Actor) -> None:
    from tests.conformance.healthcare.support import create_ticket, get_ticket

    for status, crit, tool in zip(STATUSES[:7], CRITS * 2, TOOLS, strict=False):
        ticket = create_ticket(client, admin, status_id=status["id"], crit_id=crit["id"],
                               tool_id=tool["id"])
        detail = get_ticket(client, admin, ticket["id"])
        assert detail["status"] == status
        assert detail["crit"] == crit
        assert detail["tool"] == tool
