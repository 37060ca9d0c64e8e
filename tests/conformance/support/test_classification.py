"""customer-support-api.md, "POST /tickets/{id}/auto-classify": keyword analysis of subject and
description, the classification fields of the ticket, and `manual_override`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conformance.support.support import (
    CATEGORIES,
    CLASSIFICATION_FIELDS,
    EXAMPLE_TICKET,
    NOT_FOUND,
    PAYMENT_TICKET,
    PRIORITIES,
    REASONING,
    SP,
    UNKNOWN_ID,
    assert_body,
    assert_json,
    assert_ticket,
    create,
    get,
    parse_time,
    update,
)


def classify(api: TestClient, ticket_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = assert_json(api.post(f"{SP}/tickets/{ticket_id}/auto-classify"), 200)
    assert set(body) == {"ticket", "classification"}, body
    ticket, classification = body["ticket"], body["classification"]
    assert_ticket(ticket)
    assert set(classification) == CLASSIFICATION_FIELDS, classification
    assert classification["category"] in CATEGORIES
    confidence = classification["confidence"]
    assert isinstance(confidence, int | float)
    assert 0 <= confidence <= 1
    assert isinstance(classification["reasoning"], str)
    assert isinstance(classification["keywords_found"], list)
    assert all(isinstance(k, str) for k in classification["keywords_found"])
    return ticket, classification


def assert_reasoning(classification: dict[str, Any]) -> None:
    """"Classified as account_access (high confidence) based on keywords: login, access denied"."""
    match = REASONING.match(classification["reasoning"])
    assert match, classification["reasoning"]
    assert match["category"] == classification["category"]
    assert match["keywords"].split(", ") == classification["keywords_found"]


def assert_recorded_on(ticket: dict[str, Any], classification: dict[str, Any]) -> None:
    assert ticket["classification_confidence"] == classification["confidence"]
    assert ticket["classification_reasoning"] == classification["reasoning"]
    assert ticket["classification_keywords"] == classification["keywords_found"]
    classified_at = parse_time(ticket["classified_at"])
    assert abs(datetime.now(UTC) - classified_at) < timedelta(minutes=1)


def test_the_documents_login_ticket(api: TestClient) -> None:
    created = create(api)
    ticket, classification = classify(api, created["id"])
    assert classification["category"] == "account_access"
    assert {"login", "access denied"} <= set(classification["keywords_found"])
    assert classification["priority"] == "high"
    assert_reasoning(classification)
    assert ticket["category"] == "account_access"
    assert ticket["manual_override"] is False
    assert_recorded_on(ticket, classification)
    # The fields the classifier does not own are untouched.
    for field in ("id", "customer_id", "customer_email", "customer_name", "subject", "description",
                  "status", "created_at", "resolved_at", "assigned_to", "tags", "metadata"):
        assert ticket[field] == created[field], field
    assert get(api, created["id"]) == ticket


def test_the_documents_payment_ticket_is_recategorised(api: TestClient) -> None:
    created = create(api, **{**PAYMENT_TICKET, "category": "other"})
    assert created["category"] == "other"
    ticket, classification = classify(api, created["id"])
    assert classification["category"] == "billing_question"
    assert {"payment", "subscription"} <= set(classification["keywords_found"])
    assert_reasoning(classification)
    assert ticket["category"] == "billing_question"
    assert ticket["manual_override"] is False
    assert_recorded_on(ticket, classification)
    assert get(api, created["id"])["category"] == "billing_question"


TEXTS = [
    ("App crashes", "Application keeps crashing on startup with an error.", "technical_issue"),
    ("Dark mode", "It would be great to have a new feature: dark mode for the dashboard.",
     "feature_request"),
    ("Typo on the settings page", "There is a bug: the button label is misaligned and broken.",
     "bug_report"),
    ("Refund", "Please refund the duplicate charge on my last invoice.", "billing_question"),
    ("Locked out", "I forgot my password and the reset link does not arrive.", "account_access"),
]


@pytest.mark.parametrize(("subject", "description", "category"), TEXTS, ids=[t[2] for t in TEXTS])
def test_other_categories(api: TestClient, subject: str, description: str, category: str) -> None:
    created = create(api, subject=subject, description=description, category="other")
    ticket, classification = classify(api, created["id"])
    assert classification["category"] == category, classification
    assert ticket["category"] == category
    assert classification["keywords_found"]
    assert_reasoning(classification)


@pytest.mark.parametrize(("subject", "description", "category"), [
    *TEXTS, ("Hello", "Zzzz qqqq xxxx yyyy.", "other")], ids=[*(t[2] for t in TEXTS), "no-keywords"])
def test_the_classification_always_has_a_priority(api: TestClient, subject: str, description: str,
                                                  category: str) -> None:
    """The classification's `priority` is one of the Priority Enum Values, as in the example,
    whether or not the text holds a word about urgency."""
    created = create(api, subject=subject, description=description, category="other")
    _ticket, classification = classify(api, created["id"])
    assert classification["priority"] in PRIORITIES, classification


def test_nothing_to_go_on(api: TestClient) -> None:
    created = create(api, subject="Hello", description="Zzzz qqqq xxxx yyyy.", category="feature_request")
    ticket, classification = classify(api, created["id"])
    assert classification["keywords_found"] == []
    assert classification["confidence"] < 0.5
    assert ticket["classification_keywords"] == []


def test_it_can_be_run_again(api: TestClient) -> None:
    created = create(api)
    first_ticket, first = classify(api, created["id"])
    second_ticket, second = classify(api, created["id"])
    assert second == first
    assert parse_time(second_ticket["classified_at"]) >= parse_time(first_ticket["classified_at"])


def test_a_category_set_by_a_person_is_never_overwritten(api: TestClient) -> None:
    created = create(api)
    changed = update(api, created["id"], category="feature_request")
    assert changed["manual_override"] is True
    ticket, _classification = classify(api, created["id"])
    assert ticket["category"] == "feature_request"
    assert ticket["manual_override"] is True
    stored = get(api, created["id"])
    assert stored["category"] == "feature_request"
    assert stored["manual_override"] is True


def test_a_classified_ticket_keeps_its_classification_on_update(api: TestClient) -> None:
    created = create(api)
    classified, _ = classify(api, created["id"])
    updated = update(api, created["id"], status="in_progress", assigned_to="agent-456", priority="urgent")
    for field in ("classification_confidence", "classification_reasoning", "classification_keywords",
                  "classified_at", "manual_override", "category"):
        assert updated[field] == classified[field], field


@pytest.mark.parametrize("ticket_id", [UNKNOWN_ID, "not-a-uuid"])
def test_unknown_or_malformed(api: TestClient, ticket_id: str) -> None:
    assert_body(api.post(f"{SP}/tickets/{ticket_id}/auto-classify"), 404, NOT_FOUND)


def test_the_documents_create_example_is_not_classified_on_creation(api: TestClient) -> None:
    created = create(api, **EXAMPLE_TICKET)
    assert created["classified_at"] is None
    assert created["classification_keywords"] == []
