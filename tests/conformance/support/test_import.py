"""customer-support-api.md, "POST /tickets/import - Bulk Import Tickets": the CSV, JSON and XML
examples imported as written, format detection (?format=, extension, content type), per-row errors,
unsupported formats, and XML that must be refused (entity expansion, external entities)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.support.support import (
    CSV_EXAMPLE,
    CURL_CSV_EXAMPLE,
    IMPORTED_EXAMPLE_ROWS,
    JSON_EXAMPLE,
    NOT_FOUND,
    SP,
    UNSUPPORTED_FORMAT,
    XML_EXAMPLE,
    assert_body,
    assert_json,
    get,
    import_file,
    import_result,
    listing,
)

EXAMPLES = {"csv": CSV_EXAMPLE, "json": JSON_EXAMPLE, "xml": XML_EXAMPLE}
CONTENT_TYPES = {"csv": "text/csv", "json": "application/json", "xml": "text/xml"}
ALL_OK = {"total": 2, "successful": 2, "failed": 0, "errors": []}

CSV_HEADER = "customer_id,customer_email,customer_name,subject,description,category,priority,status,tags\n"
GOOD_ROW: dict[str, Any] = {
    "customer_id": "CUST-010", "customer_email": "ann@example.com", "customer_name": "Ann Lee",
    "subject": "Invoice question", "description": "Why was I charged twice this month?",
    "category": "billing_question", "priority": "medium", "status": "new", "tags": ["billing"],
}


def stored(api: TestClient) -> list[dict[str, Any]]:
    body = listing(api, limit=100)
    return sorted(body["tickets"], key=lambda t: t["customer_id"])


def assert_examples_stored(api: TestClient, fmt: str) -> None:
    tickets = stored(api)
    assert len(tickets) == 2
    for ticket, expected in zip(tickets, IMPORTED_EXAMPLE_ROWS, strict=True):
        for field, value in expected.items():
            assert ticket[field] == value, (fmt, field, ticket[field])
    login, payment = tickets
    if fmt == "csv":
        assert (login["subject"], login["description"]) == ("Cannot login",
                                                            "I've been trying to login for hours")
        assert (payment["subject"], payment["description"]) == ("Payment issue", "Payment not processed")
    else:
        assert login["subject"] == "Cannot login to my account"
        assert login["description"] == ("I've been trying to login for the past hour but keep getting "
                                         "an access denied error.")
        assert payment["subject"] == "Payment not processed"
        assert payment["description"] == "I tried to pay for my subscription but the payment failed."
    for ticket in tickets:
        assert get(api, ticket["id"]) == ticket
        assert ticket["resolved_at"] is None
        assert ticket["assigned_to"] is None


def csv_rows(*rows: dict[str, Any]) -> str:
    lines = [CSV_HEADER.rstrip("\n")]
    for row in rows:
        values = [row[c] for c in CSV_HEADER.strip().split(",")[:-1]] + [";".join(row["tags"])]
        lines.append(",".join(f'"{v}"' if "," in v else v for v in values))
    return "\n".join(lines) + "\n"


def xml_rows(*rows: dict[str, Any]) -> str:
    items = []
    for row in rows:
        fields = "".join(f"<{k}>{v}</{k}>" for k, v in row.items() if k != "tags")
        items.append(f"<ticket>{fields}<tags>{','.join(row['tags'])}</tags></ticket>")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<tickets>{"".join(items)}</tickets>\n'


def as_file(fmt: str, *rows: dict[str, Any]) -> str:
    if fmt == "csv":
        return csv_rows(*rows)
    if fmt == "json":
        return json.dumps(list(rows))
    return xml_rows(*rows)


# ------------------------------------------------------------------------------------ the examples


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_the_example_with_format_in_the_query(api: TestClient, fmt: str) -> None:
    result = import_result(import_file(api, f"tickets.{fmt}", EXAMPLES[fmt], format=fmt))
    assert result == ALL_OK
    assert_examples_stored(api, fmt)


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_the_example_detected_by_extension(api: TestClient, fmt: str) -> None:
    result = import_result(import_file(api, f"tickets.{fmt}", EXAMPLES[fmt], "application/octet-stream"))
    assert result == ALL_OK
    assert_examples_stored(api, fmt)


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_the_example_detected_by_content_type(api: TestClient, fmt: str) -> None:
    result = import_result(import_file(api, "tickets", EXAMPLES[fmt], CONTENT_TYPES[fmt]))
    assert result == ALL_OK
    assert_examples_stored(api, fmt)


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_content_type_with_a_charset(api: TestClient, fmt: str) -> None:
    response = import_file(api, "upload", EXAMPLES[fmt], f"{CONTENT_TYPES[fmt]}; charset=utf-8")
    assert import_result(response) == ALL_OK


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_the_query_wins_over_extension_and_content_type(api: TestClient, fmt: str) -> None:
    wrong = {"csv": "json", "json": "xml", "xml": "csv"}[fmt]
    response = import_file(api, f"tickets.{wrong}", EXAMPLES[fmt], CONTENT_TYPES[wrong], format=fmt)
    assert import_result(response) == ALL_OK
    assert_examples_stored(api, fmt)


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_the_extension_wins_over_the_content_type(api: TestClient, fmt: str) -> None:
    wrong = {"csv": "json", "json": "xml", "xml": "csv"}[fmt]
    response = import_file(api, f"tickets.{fmt}", EXAMPLES[fmt], CONTENT_TYPES[wrong])
    assert import_result(response) == ALL_OK


def test_the_curl_examples_csv(api: TestClient) -> None:
    result = import_result(import_file(api, "tickets.csv", CURL_CSV_EXAMPLE))
    assert result == {"total": 3, "successful": 3, "failed": 0, "errors": []}
    crash = stored(api)[2]
    assert crash["customer_name"] == "Bob Johnson"
    assert crash["subject"] == "App crashes"
    assert crash["category"] == "technical_issue"
    assert crash["priority"] == "urgent"
    assert crash["tags"] == ["crash", "bug"]


def test_csv_quoting(api: TestClient) -> None:
    content = CSV_HEADER + (
        'CUST-009,"ann@example.com","Lee, Ann","Export, then crash",'
        '"It crashes, every time, after ""Export"".",technical_issue,low,new,export;crash\n')
    assert import_result(import_file(api, "tickets.csv", content))["successful"] == 1
    [ticket] = stored(api)
    assert ticket["customer_name"] == "Lee, Ann"
    assert ticket["subject"] == "Export, then crash"
    assert ticket["description"] == 'It crashes, every time, after "Export".'
    assert ticket["tags"] == ["export", "crash"]


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_non_ascii_text(api: TestClient, fmt: str) -> None:
    row = {**GOOD_ROW, "customer_name": "Zoë Müller", "subject": "Factura — ¿por qué?",
           "description": "Se me cobró dos veces: 20 € + 20 €."}
    assert import_result(import_file(api, f"tickets.{fmt}", as_file(fmt, row)))["successful"] == 1
    [ticket] = stored(api)
    assert ticket["customer_name"] == "Zoë Müller"
    assert ticket["subject"] == "Factura — ¿por qué?"
    assert ticket["description"] == "Se me cobró dos veces: 20 € + 20 €."


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_a_file_without_rows(api: TestClient, fmt: str) -> None:
    content = {"csv": CSV_HEADER, "json": "[]", "xml": "<tickets></tickets>"}[fmt]
    result = import_result(import_file(api, f"tickets.{fmt}", content))
    assert result == {"total": 0, "successful": 0, "failed": 0, "errors": []}


def test_many_rows(api: TestClient) -> None:
    rows = [{**GOOD_ROW, "customer_id": f"CUST-{n:04}"} for n in range(250)]
    result = import_result(import_file(api, "tickets.csv", csv_rows(*rows)))
    assert result == {"total": 250, "successful": 250, "failed": 0, "errors": []}
    body = listing(api, limit=10)
    assert body["pagination"]["total"] == 250
    assert body["pagination"]["total_pages"] == 25


# ------------------------------------------------------------------------------------ row errors


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_the_documented_result_with_one_invalid_row(api: TestClient, fmt: str) -> None:
    """The document's response: 3 rows, row 2 with "invalid-email", 2 stored."""
    rows = [{**GOOD_ROW, "customer_id": "CUST-A"},
            {**GOOD_ROW, "customer_id": "CUST-B", "customer_email": "invalid-email"},
            {**GOOD_ROW, "customer_id": "CUST-C"}]
    result = import_result(import_file(api, f"tickets.{fmt}", as_file(fmt, *rows)))
    assert result == {"total": 3, "successful": 2, "failed": 1,
                      "errors": [{"row": 2, "errors": ["Invalid email format: invalid-email"]}]}
    assert [t["customer_id"] for t in stored(api)] == ["CUST-A", "CUST-C"]


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_every_problem_of_every_row(api: TestClient, fmt: str) -> None:
    rows = [{**GOOD_ROW, "customer_id": "CUST-A", "subject": "s" * 201},
            {**GOOD_ROW, "customer_id": "CUST-B"},
            {**GOOD_ROW, "customer_id": "CUST-C", "description": "too short", "priority": "critical",
             "category": "sales", "status": "open"},
            {**GOOD_ROW, "customer_id": "CUST-D", "customer_name": ""}]
    result = import_result(import_file(api, f"tickets.{fmt}", as_file(fmt, *rows)))
    assert (result["total"], result["successful"], result["failed"]) == (4, 1, 3)
    errors = {e["row"]: e["errors"] for e in result["errors"]}
    assert set(errors) == {1, 3, 4}
    assert len(errors[1]) == 1
    assert "subject" in errors[1][0]
    assert len(errors[3]) == 4
    for field in ("description", "priority", "category", "status"):
        assert any(field in e for e in errors[3]), (field, errors[3])
    assert len(errors[4]) == 1
    assert "customer_name" in errors[4][0]
    assert [t["customer_id"] for t in stored(api)] == ["CUST-B"]


def test_every_row_invalid(api: TestClient) -> None:
    rows = [{**GOOD_ROW, "customer_email": "invalid-email"}] * 2
    result = import_result(import_file(api, "tickets.json", as_file("json", *rows)))
    assert (result["total"], result["successful"], result["failed"]) == (2, 0, 2)
    assert [e["row"] for e in result["errors"]] == [1, 2]
    assert stored(api) == []


def test_a_json_row_that_is_not_an_object(api: TestClient) -> None:
    content = json.dumps([GOOD_ROW, "not a ticket", 42])
    result = import_result(import_file(api, "tickets.json", content))
    assert (result["total"], result["successful"], result["failed"]) == (3, 1, 2)
    assert [e["row"] for e in result["errors"]] == [2, 3]
    assert len(stored(api)) == 1


# ------------------------------------------------------------------------------------ unsupported


@pytest.mark.parametrize(("filename", "content_type", "fmt"), [
    ("tickets.csv", "text/csv", "yaml"),
    ("tickets.csv", "text/csv", "XLSX"),
    ("tickets.yaml", "application/x-yaml", None),
    ("tickets.txt", "text/plain", None),
    ("tickets", "application/octet-stream", None),
    ("tickets.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None),
])
def test_an_unsupported_format(api: TestClient, filename: str, content_type: str, fmt: str | None) -> None:
    response = import_file(api, filename, CSV_EXAMPLE, content_type, format=fmt)
    assert_body(response, 400, UNSUPPORTED_FORMAT)
    assert stored(api) == []


def test_without_a_file(api: TestClient) -> None:
    response = api.post(f"{SP}/tickets/import?format=csv", files={"other": ("x.csv", b"a,b\n")})
    body = assert_json(response, 400)
    assert isinstance(body["error"], str)
    assert stored(api) == []


@pytest.mark.parametrize(("fmt", "content"), [
    ("json", '[{"customer_id": "CUST-001",'),
    ("json", "not json at all"),
    ("xml", "<tickets><ticket><subject>unclosed</ticket>"),
    ("xml", "not xml at all"),
])
def test_a_broken_file(api: TestClient, fmt: str, content: str) -> None:
    body = assert_json(import_file(api, f"tickets.{fmt}", content), 400)
    assert isinstance(body["error"], str)
    assert stored(api) == []


# ------------------------------------------------------------------------------------ hostile XML

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE tickets [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<tickets>
  <ticket>
    <customer_id>CUST-001</customer_id>
    <customer_email>john@example.com</customer_email>
    <customer_name>John Doe</customer_name>
    <subject>Cannot login to my account</subject>
    <description>&lol9;</description>
    <category>account_access</category>
    <priority>high</priority>
    <status>new</status>
    <tags>login,urgent</tags>
  </ticket>
</tickets>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE tickets [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<tickets>
  <ticket>
    <customer_id>CUST-001</customer_id>
    <customer_email>john@example.com</customer_email>
    <customer_name>John Doe</customer_name>
    <subject>Cannot login to my account</subject>
    <description>Here it is: &secret;</description>
    <category>account_access</category>
    <priority>high</priority>
    <status>new</status>
    <tags>login,urgent</tags>
  </ticket>
</tickets>
"""

# One small internal entity: still an entity declaration, still refused.
INTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE tickets [<!ENTITY who "John Doe">]>
<tickets><ticket><customer_id>CUST-001</customer_id><customer_email>john@example.com</customer_email>
<customer_name>&who;</customer_name><subject>Cannot login</subject>
<description>I've been trying to login for hours</description><category>account_access</category>
<priority>high</priority><status>new</status><tags>login</tags></ticket></tickets>
"""


def assert_healthy(api: TestClient) -> None:
    assert api.get("/health").status_code == 200
    assert stored(api) == []
    assert import_result(import_file(api, "tickets.xml", XML_EXAMPLE)) == ALL_OK
    assert len(stored(api)) == 2


@pytest.mark.parametrize("fmt", ["xml", None])
def test_an_xml_bomb_is_refused_at_once(api: TestClient, fmt: str | None) -> None:
    response = import_file(api, "tickets.xml", BILLION_LAUGHS, "text/xml", format=fmt)
    body = assert_json(response, 400)
    assert isinstance(body["error"], str)
    assert "lollol" not in response.text
    assert_healthy(api)


def test_an_external_entity_is_refused(api: TestClient) -> None:
    response = import_file(api, "tickets.xml", EXTERNAL_ENTITY, "text/xml")
    body = assert_json(response, 400)
    assert isinstance(body["error"], str)
    assert "root:" not in response.text
    assert_healthy(api)
    assert all("root:" not in t["description"] for t in stored(api))


def test_entity_declarations_are_refused(api: TestClient) -> None:
    body = assert_json(import_file(api, "tickets.xml", INTERNAL_ENTITY, "text/xml"), 400)
    assert isinstance(body["error"], str)
    assert stored(api) == []


def test_import_then_the_imported_ticket_can_be_deleted(api: TestClient) -> None:
    import_result(import_file(api, "tickets.csv", CSV_EXAMPLE))
    first = stored(api)[0]
    assert assert_json(api.delete(f"{SP}/tickets/{first['id']}"), 200)["id"] == first["id"]
    assert_body(api.get(f"{SP}/tickets/{first['id']}"), 404, NOT_FOUND)


def test_rows_without_tags(api: TestClient) -> None:
    csv_content = CSV_HEADER + "CUST-001,john@example.com,John Doe,Cannot login,I've been trying to login " \
        "for hours,account_access,high,new,\n"
    assert import_result(import_file(api, "tickets.csv", csv_content))["successful"] == 1
    xml_content = ("<tickets><ticket><customer_id>CUST-002</customer_id><customer_email>jane@example.com"
                   "</customer_email><customer_name>Jane Smith</customer_name>"
                   "<subject>Payment issue</subject>"
                   "<description>Payment not processed</description><category>billing_question</category>"
                   "<priority>high</priority><status>new</status></ticket></tickets>")
    assert import_result(import_file(api, "tickets.xml", xml_content))["successful"] == 1
    assert [t["tags"] for t in stored(api)] == [[], []]


def test_json_rows_with_metadata_are_validated_like_a_create(api: TestClient) -> None:
    rows = [{**GOOD_ROW, "customer_id": "CUST-A", "metadata": {"source": "chat", "device_type": "mobile"}},
            {**GOOD_ROW, "customer_id": "CUST-B", "metadata": {"source": "fax"}},
            {**GOOD_ROW, "customer_id": "CUST-C", "metadata": {"source": "api", "device_type": "watch"}}]
    result = import_result(import_file(api, "tickets.json", json.dumps(rows)))
    assert (result["total"], result["successful"], result["failed"]) == (3, 1, 2)
    assert [e["row"] for e in result["errors"]] == [2, 3]
    assert any("source" in e for e in result["errors"][0]["errors"])
    assert any("device_type" in e for e in result["errors"][1]["errors"])
    [ticket] = stored(api)
    assert ticket["metadata"]["source"] == "chat"
    assert ticket["metadata"]["device_type"] == "mobile"


def test_a_file_larger_than_a_json_body(api: TestClient) -> None:
    """Import is for large data sets: a file over 1 MB is read, not refused."""
    description = "The export to spreadsheet fails with a timeout after a few minutes. " * 4
    rows = [{**GOOD_ROW, "customer_id": f"CUST-{n:05}", "description": description.strip()}
            for n in range(4000)]
    content = csv_rows(*rows)
    assert len(content.encode()) > 1_100_000
    result = import_result(import_file(api, "tickets.csv", content))
    assert result == {"total": 4000, "successful": 4000, "failed": 0, "errors": []}
    assert listing(api, limit=1)["pagination"]["total"] == 4000
