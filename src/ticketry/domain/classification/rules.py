"""Keyword classification rules: each queue's configuration (the keywords of its categories,
`settings.priority_keywords`, `settings.classification`), applied to a ticket's text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ticketry.db import utcnow
from ticketry.domain.queues.config import QueueConfig
from ticketry.domain.tickets.models import Ticket


@dataclass(frozen=True, slots=True)
class Classification:
    category: str | None
    priority: str | None
    confidence: float
    reasoning: str
    keywords_found: list[str] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _pattern(keyword: str) -> re.Pattern[str]:
    # Whole words (or phrases), case-insensitive: "log" must not match "catalog".
    return re.compile(rf"(?<![\w]){re.escape(keyword.lower())}(?![\w])")


def _found(text: str, keywords: tuple[str, ...] | list[str]) -> list[str]:
    return [k for k in keywords if _pattern(k).search(text)]


def confidence_label(config: QueueConfig, confidence: float) -> str:
    thresholds: dict[str, float] = (config.settings.get("classification", {})
                                    .get("confidence_labels", {"high": 0.8, "medium": 0.5,
                                                               "low": 0.0}))
    for name, floor in sorted(thresholds.items(), key=lambda item: -item[1]):
        if confidence >= floor:
            return name
    return "low"


def classify_text(config: QueueConfig, subject: str, description: str) -> Classification:
    """Score each category by the keywords of it found in the text; the best wins.

    Confidence grows with the evidence for the winner and shrinks with the evidence for the
    runner-up: 0.55 + 0.15 per winning keyword - 0.05 per runner-up keyword, within 0.05-0.95.
    """
    text = f"{subject}\n{description}".lower()
    scored = sorted(
        ((len(found), -position, key, found) for position, (key, item) in
         enumerate(config.categories.items())
         if (found := _found(text, item.keywords))),
        reverse=True,
    )
    settings = config.settings.get("classification", {})
    default = config.default_priority
    priority = _priority(config, text) or settings.get("fallback_priority") or (
        default.key if default else None)
    if not scored:
        fallback = settings.get("fallback_category") or next(iter(config.categories), None)
        return Classification(
            category=fallback, priority=priority, confidence=0.3,
            reasoning=f"Classified as {fallback} (low confidence): no category keywords found",
            keywords_found=[])
    best_count, _, category, found = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0
    confidence = round(max(0.05, min(0.95, 0.55 + 0.15 * best_count - 0.05 * runner_up)), 2)
    label = confidence_label(config, confidence)
    return Classification(
        category=category, priority=priority, confidence=confidence,
        reasoning=f"Classified as {category} ({label} confidence) based on keywords: "
                  f"{', '.join(found)}",
        keywords_found=found)


def _priority(config: QueueConfig, text: str) -> str | None:
    """The most urgent priority one of whose keywords appears, if any."""
    keywords: dict[str, list[str]] = config.settings.get("priority_keywords", {})
    for key in sorted(keywords, key=lambda k: config.priorities[k].rank
                      if k in config.priorities else 99):
        if key in config.priorities and _found(text, keywords[key]):
            return key
    return None


def apply_classification(ticket: Ticket, result: Classification, *, set_category: bool) -> bool:
    """Record the result on the ticket; returns True if the category changed."""
    ticket.classification_confidence = result.confidence
    ticket.classification_reasoning = result.reasoning
    ticket.classification_keywords = list(result.keywords_found)
    ticket.classified_at = utcnow()
    if set_category and not ticket.manual_override and result.category is not None \
            and result.category != ticket.category:
        ticket.category = result.category
        return True
    return False
