"""Export of 100 000 tickets: rows per second and peak memory (target: >= 30 000 rows/s, < 300 MB).

    .venv/bin/python bench/export_csv.py [TICKETS] [--formats csv,json,xlsx]

Bulk-inserts the tickets (bench/ticket_data.py) into a fresh SQLite file, or a new database on
the PostgreSQL server named by TICKETRY_DATABASE_URL, then for each format:
- runs the real command, `ticketry export --output FILE`, in a child process: wall time (Python
  start, migration check and the export) and the child's own peak RSS;
- runs `export_tickets` in this process: rows per second of the export itself, wall and CPU.

Between the load and the exports the database is settled, as one in service is: VACUUM ANALYZE
on PostgreSQL, ANALYZE on SQLite. Read right after a bulk load, PostgreSQL first sets every
row's visibility hint bits and competes with autovacuum for the disk: the export then measured
24 000 rows/s one run and 33 000 the next.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

# bench/ is the script's directory, so its neighbour module imports as a top-level one.
from ticket_data import fresh_database, populate

from ticketry.db import Database
from ticketry.domain.reports.service import export_tickets
from ticketry.domain.tickets.schemas import TicketFilters
from ticketry.domain.users.models import User

ROOT = Path(__file__).resolve().parent.parent
TICKETRY = str(Path(sys.executable).parent / "ticketry")


def run_command(url: str, fmt: str, target: Path, work: Path) -> dict[str, float]:
    env = {**os.environ, "TICKETRY_DATABASE_URL": url, "TICKETRY_VAR_DIR": str(work / "var"),
           "TICKETRY_ADMIN_PASSWORD": "bench-admin-password"}
    started = time.perf_counter()
    child = subprocess.Popen([TICKETRY, "export", "--format", fmt, "--output", str(target)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"ticketry export failed: {child.stderr.read().decode() if child.stderr else ''}")
    return {"command_seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "file_mb": round(target.stat().st_size / 1e6, 1)}


def run_in_process(url: str, fmt: str, target: Path) -> dict[str, float]:
    database = Database(url, pool_size=1, max_overflow=0)
    with database.unit_of_work(write=False) as session, target.open("wb") as sink:
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        started, cpu = time.perf_counter(), time.process_time()
        export = export_tickets(session, actor=admin, filters=TicketFilters(), format=fmt)
        for chunk in export.chunks:
            sink.write(chunk)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    database.dispose()
    return {"export_seconds": round(seconds, 2), "export_cpu_seconds": round(cpu, 2)}


def settle(url: str) -> None:
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE" if database.is_sqlite else "VACUUM ANALYZE")
    finally:
        database.dispose()


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("tickets", nargs="?", type=int, default=100_000)
    parser.add_argument("--formats", default="csv")
    args = parser.parse_args()
    raw = os.environ.get("TICKETRY_DATABASE_URL")
    backend = "postgresql" if raw and raw.startswith("postgres") else "sqlite"
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ticketry-bench-") as tmp, \
            fresh_database(raw, Path(tmp), "export") as url:
        work = Path(tmp)
        started = time.perf_counter()
        populate(url, args.tickets)
        print(f"{args.tickets} tickets inserted in {time.perf_counter() - started:.1f} s "
              f"({backend})")
        settle(url)
        for fmt in args.formats.split(","):
            numbers = run_command(url, fmt, work / f"tickets.{fmt}", work)
            numbers |= run_in_process(url, fmt, work / f"again.{fmt}")
            numbers["rows_per_second_command"] = round(args.tickets / numbers["command_seconds"])
            numbers["rows_per_second_export"] = round(args.tickets / numbers["export_seconds"])
            numbers["rows_per_cpu_second_export"] = round(
                args.tickets / numbers["export_cpu_seconds"])
            results[fmt] = numbers
    result = {"backend": backend, "tickets": args.tickets, "formats": results}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"export_{backend}.json").write_text(json.dumps(result, indent=2) + "\n")
    measures = list(next(iter(results.values())))
    print(f"| {backend}, {args.tickets} tickets | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for measure in measures:
        print(f"| {measure} | " + " | ".join(str(results[f][measure]) for f in results) + " |")
    return result


if __name__ == "__main__":
    main()
