"""Keyword rules from queue configuration, classification on creation, manual override, and
the learned model trained from a queue's own confirmed tickets."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_ticket, make_user
from ticketry.domain.classification.choose import best_classification
from ticketry.domain.classification.rules import classify_text
from ticketry.domain.classification.service import auto_classify_ticket, train_queue_classifier
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.imports.service import import_tickets
from ticketry.domain.queues.service import find_queue_config, set_category_keywords
from ticketry.domain.tickets.schemas import TicketPatch
from ticketry.domain.tickets.service import update_ticket
from ticketry.domain.users.models import Role

DATA = Path(__file__).resolve().parents[2] / "data" / "support_tickets_labelled.csv"
LOGIN = ("Cannot login to my account",
         "I've been trying to login for the past hour but keep getting an access denied error.")
PAYMENT = ("Payment not processed", "I tried to pay for my subscription but the payment failed.")


def test_the_documents_examples_are_classified_by_their_keywords(session: Session) -> None:
    config = find_queue_config(session, "support")
    login = classify_text(config, *LOGIN)
    assert (login.category, login.keywords_found) == ("account_access", ["login", "access denied"])
    assert 0 <= login.confidence <= 1
    assert login.reasoning == ("Classified as account_access (high confidence) based on "
                               "keywords: login, access denied")
    payment = classify_text(config, *PAYMENT)
    assert payment.category == "billing_question"
    assert set(payment.keywords_found) >= {"payment", "subscription"}


def test_keywords_are_whole_words(session: Session) -> None:
    config = find_queue_config(session, "support")
    # "catalog" must not read as "log" (a login keyword would be "log in").
    result = classify_text(config, "Catalogue page", "The catalogue page looks great, thanks")
    assert "log" not in result.keywords_found


def test_keyword_rules_are_configuration_an_admin_changes(session: Session) -> None:
    admin = make_user(session, Role.ADMIN)
    set_category_keywords(session, actor=admin, queue_key="support",
                          category="feature_request", keywords=["Dark Mode", "dark mode "])
    config = find_queue_config(session, "support")
    assert config.categories["feature_request"].keywords == ("dark mode",)
    assert classify_text(config, "Please add dark mode", "My eyes hurt at night").category \
        == "feature_request"
    with pytest.raises(PermissionDenied):
        set_category_keywords(session, actor=make_user(session, Role.MANAGER),
                              queue_key="support", category="other", keywords=["x"])


def test_a_ticket_without_a_category_is_classified_on_creation(session: Session) -> None:
    """Where the queue has keyword rules and does not make the client choose (the support
    document makes category required, so here the devops queue gets rules)."""
    admin = make_user(session, Role.ADMIN)
    set_category_keywords(session, actor=admin, queue_key="devops", category="ACCESS_REQUEST",
                          keywords=["login", "access denied"])
    ticket = make_ticket(session, admin, title=LOGIN[0], description=LOGIN[1])
    assert ticket.category == "ACCESS_REQUEST"
    assert ticket.classified_at is not None
    assert ticket.classification_keywords == ["login", "access denied"]
    assert ticket.manual_override is False
    chosen = make_ticket(session, admin, category="INCIDENT", title=LOGIN[0],
                         description=LOGIN[1])
    assert (chosen.category, chosen.classified_at) == ("INCIDENT", None)
    with pytest.raises(ValidationFailed, match="category is required"):
        make_ticket(session, admin, queue="support", category=None, title=LOGIN[0],
                    description=LOGIN[1])


def test_a_category_a_person_sets_is_never_overwritten(session: Session) -> None:
    agent = make_user(session, Role.MANAGER)
    ticket = make_ticket(session, agent, queue="support", title=LOGIN[0], description=LOGIN[1])
    update_ticket(session, actor=agent, ticket_id=ticket.public_id,
                  data=TicketPatch(category="billing_question"))
    assert ticket.manual_override is True
    classified, result = auto_classify_ticket(session, actor=agent, ticket_id=ticket.public_id)
    assert result.category == "account_access"
    assert classified.category == "billing_question"
    assert classified.classification_confidence == result.confidence


def _import_labelled(session: Session) -> None:
    admin = make_user(session, Role.ADMIN, username="trainer")
    with DATA.open(encoding="utf-8") as handle:
        rows = [(n, {**row, "customer_id": f"C{n}", "customer_email": f"c{n}@example.com",
                     "customer_name": "Customer", "status": "new"})
                for n, row in enumerate(csv.DictReader(handle), start=1)]
    report = import_tickets(session, actor=admin, queue_key="support", rows=rows,
                            checkpoint=session.flush)
    assert report.failed == 0, report.errors[:3]


def test_the_learned_model_speaks_when_it_is_more_confident(session: Session) -> None:
    _import_labelled(session)
    admin = make_user(session, Role.ADMIN)
    model = train_queue_classifier(session, actor=admin, queue_key="support")
    assert model.samples >= 300
    assert model.accuracy is not None
    assert model.accuracy > 0.5
    config = find_queue_config(session, "support")
    subject, description = ("Would love a way to export my reports to PDF",
                            "It would be great if the next version let me export reports.")
    by_keywords = classify_text(config, subject, description)
    chosen = best_classification(session, config, subject, description)
    assert chosen.confidence >= by_keywords.confidence
    if chosen.confidence > by_keywords.confidence:
        assert "model learned from" in chosen.reasoning


def test_training_needs_an_admin_and_enough_confirmed_tickets(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        train_queue_classifier(session, actor=make_user(session, Role.MANAGER),
                               queue_key="support")
    with pytest.raises(ValidationFailed):
        train_queue_classifier(session, actor=make_user(session, Role.ADMIN),
                               queue_key="support")
