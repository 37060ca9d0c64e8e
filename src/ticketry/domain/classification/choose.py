"""Which classifier speaks for a ticket: the learned model when it is more confident than the
keyword rules, the keyword rules otherwise."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketry.domain.classification.models import ClassifierModel
from ticketry.domain.classification.rules import (
    Classification,
    classify_text,
    confidence_label,
)
from ticketry.domain.queues.config import QueueConfig

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# scikit-learn is imported only once a queue has a learned model: processes that never use
# one (most API workers) stay small and start fast.

_lock = threading.Lock()
# queue id -> (model row id, pipeline): the newest model, loaded once per process.
_loaded: dict[int, tuple[int, Pipeline]] = {}


def _model(session: Session, queue_id: int) -> tuple[Pipeline, int] | None:
    row = session.execute(
        select(ClassifierModel.id, ClassifierModel.samples)
        .where(ClassifierModel.queue_id == queue_id)
        .order_by(ClassifierModel.id.desc()).limit(1)).first()
    if row is None:
        return None
    model_id, samples = row
    cached = _loaded.get(queue_id)
    if cached is None or cached[0] != model_id:
        from ticketry.domain.classification import learned

        payload = session.scalar(select(ClassifierModel.payload)
                                 .where(ClassifierModel.id == model_id))
        assert payload is not None
        with _lock:
            _loaded[queue_id] = (model_id, learned.load(payload))
    return _loaded[queue_id][1], samples


def best_classification(session: Session, config: QueueConfig, subject: str,
                        description: str) -> Classification:
    by_keywords = classify_text(config, subject, description)
    found = _model(session, config.id)
    if found is None:
        return by_keywords
    pipeline, samples = found
    from ticketry.domain.classification import learned

    category, probability = learned.predict(pipeline, learned.ticket_text(subject, description))
    probability = round(probability, 2)
    if category not in config.categories or probability <= by_keywords.confidence:
        return by_keywords
    label = confidence_label(config, probability)
    return replace(
        by_keywords, category=category, confidence=probability,
        reasoning=f"Classified as {category} ({label} confidence) by the model learned from "
                  f"{samples} tickets of this queue")
