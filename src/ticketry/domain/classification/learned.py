"""A learned category classifier (TF-IDF words and word pairs + logistic regression), trained
from a queue's tickets whose category a person chose or confirmed."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

ALGORITHM = "tfidf-1-2gram+logistic-regression"
MIN_SAMPLES = 30


def build_pipeline() -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                  strip_accents="unicode", lowercase=True)),
        ("model", LogisticRegression(C=10.0, max_iter=2000)),
    ])


def ticket_text(subject: str, description: str) -> str:
    # The subject says most about the category: it counts twice.
    return f"{subject}\n{subject}\n{description}"


@dataclass(frozen=True, slots=True)
class Trained:
    pipeline: Pipeline
    samples: int
    accuracy: float | None


def train(texts: Sequence[str], labels: Sequence[str]) -> Trained:
    pipeline = build_pipeline()
    accuracy = None
    smallest = min((list(labels).count(label) for label in set(labels)), default=0)
    folds = min(5, smallest)
    if folds >= 2:
        accuracy = float(cross_val_score(build_pipeline(), list(texts), list(labels),
                                         cv=folds).mean())
    pipeline.fit(list(texts), list(labels))
    return Trained(pipeline, len(texts), accuracy)


def predict(pipeline: Pipeline, text: str) -> tuple[str, float]:
    probabilities = pipeline.predict_proba([text])[0]
    best = int(probabilities.argmax())
    return str(pipeline.classes_[best]), float(probabilities[best])


def dump(pipeline: Pipeline) -> bytes:
    return pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)


def load(payload: bytes) -> Pipeline:
    model: Pipeline = pickle.loads(payload)  # noqa: S301 - see the import above
    return model
