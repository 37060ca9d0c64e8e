"""Dashboard metrics and performance reports over 100 000 tickets: median and p95 per call.

    .venv/bin/python bench/dashboard.py [TICKETS] [--runs 30]

Bulk-inserts the tickets (bench/ticket_data.py) into a fresh SQLite file, or a new database on
the PostgreSQL server named by TICKETRY_DATABASE_URL, then times `dashboard_metrics` (several
periods and filters) and `performance_report`, each call in its own read transaction as a
request would make it. Target: dashboard under 200 ms median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

# bench/ is the script's directory, so its neighbour module imports as a top-level one.
from ticket_data import NOW, fresh_database, populate

from ticketry.db import Database
from ticketry.domain.reports.service import dashboard_metrics, performance_report
from ticketry.domain.users.models import User

ROOT = Path(__file__).resolve().parent.parent


def timed(database: Database, call: Callable[[Session, User], Any], runs: int) -> dict[str, float]:
    samples = []
    for n in range(runs + 3):
        with database.unit_of_work(write=False) as session:
            admin = session.scalars(select(User).where(User.username == "admin")).one()
            started = time.perf_counter()
            call(session, admin)
            elapsed = (time.perf_counter() - started) * 1000
        if n >= 3:  # the first calls warm the caches (queue labels, statement compilation)
            samples.append(elapsed)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[max(0, round(0.95 * len(samples)) - 1)], 1)}


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("tickets", nargs="?", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    raw = os.environ.get("TICKETRY_DATABASE_URL")
    backend = "postgresql" if raw and raw.startswith("postgres") else "sqlite"
    cases: dict[str, Callable[[Session, User], Any]] = {
        "dashboard 30d": lambda s, a: dashboard_metrics(s, actor=a, period_days=30, now=NOW),
        "dashboard 7d": lambda s, a: dashboard_metrics(s, actor=a, period_days=7, now=NOW),
        "dashboard 90d": lambda s, a: dashboard_metrics(s, actor=a, period_days=90, now=NOW),
        "dashboard 1y": lambda s, a: dashboard_metrics(s, actor=a, period_days=365, now=NOW),
        # Every ticket of the bench data (created over the 365 days before NOW).
        "dashboard 400d (all)": lambda s, a: dashboard_metrics(
            s, actor=a, period_days=400, now=NOW),
        "dashboard 30d, queue": lambda s, a: dashboard_metrics(
            s, actor=a, period_days=30, queue="devops", now=NOW),
        "dashboard 1y, queue": lambda s, a: dashboard_metrics(
            s, actor=a, period_days=365, queue="devops", now=NOW),
        # The enterprise dialect's reports are always of its own queue.
        "dashboard 1y, enterprise": lambda s, a: dashboard_metrics(
            s, actor=a, period_days=365, queue="enterprise", now=NOW),
        "dashboard 30d, one team": lambda s, a: dashboard_metrics(
            s, actor=a, period_days=30, team_codes=[103], now=NOW),
        "performance 30 days": lambda s, a: performance_report(
            s, actor=a, start=(NOW - timedelta(days=29)).date(), end=NOW.date()),
        "performance 1 year": lambda s, a: performance_report(
            s, actor=a, start=(NOW - timedelta(days=364)).date(), end=NOW.date()),
        "performance 1 year, enterprise": lambda s, a: performance_report(
            s, actor=a, start=(NOW - timedelta(days=364)).date(), end=NOW.date(),
            queue="enterprise"),
    }
    with tempfile.TemporaryDirectory(prefix="ticketry-bench-") as tmp, \
            fresh_database(raw, Path(tmp), "dashboard") as url:
        started = time.perf_counter()
        populate(url, args.tickets)
        print(f"{args.tickets} tickets inserted in {time.perf_counter() - started:.1f} s "
              f"({backend})")
        database = Database(url, pool_size=1, max_overflow=0)
        results = {name: timed(database, call, args.runs) for name, call in cases.items()}
        database.dispose()
    result = {"backend": backend, "tickets": args.tickets, "runs": args.runs, "cases": results}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"dashboard_{backend}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| {backend}, {args.tickets} tickets | median ms | p95 ms |\n|---|---|---|")
    for name, numbers in results.items():
        print(f"| {name} | {numbers['median_ms']} | {numbers['p95_ms']} |")
    return result


if __name__ == "__main__":
    main()
