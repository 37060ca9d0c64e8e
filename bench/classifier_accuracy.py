"""Accuracy of the support queue's classifiers on the labelled set (tests/data).

Keyword rules: the shipped support preset, applied to every row. Learned model and the
combination the service uses (the learned model where it is more confident than the keywords):
5-fold stratified cross-validation, so no ticket is scored by a model that saw it.

    .venv/bin/python bench/classifier_accuracy.py
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

from sklearn.model_selection import StratifiedKFold

from ticketry.domain.classification import learned
from ticketry.domain.classification.rules import classify_text
from ticketry.domain.queues.config import build_queue_config
from ticketry.domain.queues.service import load_preset, queue_from_preset

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "support_tickets_labelled.csv"


def main() -> dict[str, float]:
    rows = list(csv.DictReader(DATA.open(encoding="utf-8")))
    queue = queue_from_preset(load_preset("support"), make_default=False)
    queue.id = 0
    config = build_queue_config(queue)
    truth = [r["category"] for r in rows]

    keyword = [classify_text(config, r["subject"], r["description"]) for r in rows]
    keyword_acc = sum(k.category == t for k, t in zip(keyword, truth, strict=True)) / len(rows)
    priority_acc = sum((k.priority or "medium") == r["priority"]
                       for k, r in zip(keyword, rows, strict=True)) / len(rows)

    texts = [learned.ticket_text(r["subject"], r["description"]) for r in rows]
    learned_hits = combined_hits = 0
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    for train_idx, test_idx in folds.split(texts, truth):
        trained = learned.train([texts[i] for i in train_idx], [truth[i] for i in train_idx])
        for i in test_idx:
            category, probability = learned.predict(trained.pipeline, texts[i])
            learned_hits += category == truth[i]
            chosen = keyword[i]
            if probability > chosen.confidence:
                chosen = replace(chosen, category=category)
            combined_hits += chosen.category == truth[i]
    result = {
        "rows": len(rows),
        "keyword_rules_accuracy": round(keyword_acc, 3),
        "keyword_priority_accuracy": round(priority_acc, 3),
        "learned_model_accuracy_5fold": round(learned_hits / len(rows), 3),
        "combined_accuracy_5fold": round(combined_hits / len(rows), 3),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "classifier.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| measure | value |\n|---|---|")
    for name, value in result.items():
        print(f"| {name} | {value} |")
    return result


if __name__ == "__main__":
    main()
