"""Import of a 100 000-row CSV through `ticketry import`: rows per second and peak memory.

    .venv/bin/python bench/import_csv.py [ROWS]

Runs the real command in a child process against a fresh SQLite database (or the PostgreSQL
server named by TICKETRY_DATABASE_URL), so the peak RSS is the importer's own.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ["account_access", "technical_issue", "billing_question", "feature_request",
              "bug_report", "other"]


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "customer_email", "customer_name", "subject",
                         "description", "category", "priority", "status", "tags"])
        for n in range(rows):
            writer.writerow([f"CUST-{n}", f"customer{n}@example.com", f"Customer {n}",
                             f"Order {n} problem", f"Something went wrong with order {n} today",
                             rng.choice(CATEGORIES), rng.choice(["urgent", "high", "medium",
                                                                 "low"]), "new", "import;bench"])


def main() -> dict[str, float]:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="ticketry-bench-") as tmp:
        work = Path(tmp)
        data = work / "tickets.csv"
        write_csv(data, rows)
        env = {**os.environ, "TICKETRY_VAR_DIR": str(work / "var"),
               "TICKETRY_ADMIN_PASSWORD": "bench-admin-password"}
        if "TICKETRY_DATABASE_URL" not in os.environ:
            env["TICKETRY_DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
        command = [str(ROOT / ".venv" / "bin" / "ticketry")]
        subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        done = subprocess.run([*command, "import", str(data), "--queue", "support"], env=env,
                              check=True, capture_output=True, text=True)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"rows": rows, "seconds": round(seconds, 2),
              "rows_per_second": round(rows / seconds), "peak_rss_mb": round(peak_mb, 1)}
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "import_csv.json").write_text(json.dumps(result, indent=2) + "\n")
    print(done.stdout.strip().splitlines()[-1])
    print("| measure | value |\n|---|---|")
    for name, value in result.items():
        print(f"| {name} | {value} |")
    return result


if __name__ == "__main__":
    main()
