"""The benchmark suite of issue 8: each contender served on 127.0.0.1 in its own processes,
loaded by wrk, side by side in one run; results to bench/results/suite-<time>.{md,json}.

    .venv/bin/python bench/suite/run.py                      # everything (about 2 hours)
    .venv/bin/python bench/suite/run.py --quick              # smoke run: 1 000 tickets, SQLite
    .venv/bin/python bench/suite/run.py --contenders ticketry --backends sqlite --sizes 1000

For each backend and size, each contender is prepared (its database seeded once and cached in
--workdir), then served with each worker count; each operation gets a probe request (it must
answer 2xx), a warm-up, then --runs timed runs of --duration seconds. The table holds the
medians: requests/s, p50, p99, and CPU µs per request of the server's process tree.
Reads run before writes, so the database holds `size` tickets when they are measured.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SUITE = Path(__file__).resolve().parent
ROOT = SUITE.parent.parent
sys.path.insert(0, str(SUITE))

import load  # noqa: E402
import report  # noqa: E402
from contender import OPERATIONS, Contender, Prepared  # noqa: E402
from processes import Server, ServerError, free_port  # noqa: E402

CONTENDERS = ("ticketry", "ceiling", "floor", "floor-session", "django-helpdesk")
# Writes last: the reads see the seeded number of tickets, not the ones the load created.
EXECUTION_ORDER = ("get", "list", "search", "dashboard", "comment", "create")
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contenders", type=_csv, default=list(CONTENDERS))
    parser.add_argument("--backends", type=_csv, default=None, help="sqlite,postgresql")
    parser.add_argument("--sizes", type=lambda v: [int(s) for s in _csv(v)], default=None,
                        help="tickets per database (default 1000,100000)")
    parser.add_argument("--workers", type=lambda v: [int(s) for s in _csv(v)], default=None,
                        help="server worker processes (default 1,2)")
    parser.add_argument("--operations", type=_csv, default=list(OPERATIONS))
    parser.add_argument("--duration", type=float, default=None, help="seconds per run (10)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs (3); medians")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up seconds (5)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / ".work",
                        help="seeded databases and logs, kept between runs")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1000 tickets, sqlite, 1 worker, one 3 s run")
    parser.add_argument("--extras", action="store_true",
                        help="also run bench/import_csv.py, export_csv.py, "
                             "webhook_delivery.py and search.py and report their numbers")
    parser.add_argument("--extras-only", action="store_true", help="only the extras")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults: dict[str, Any] = {
        "backends": ["sqlite"] if quick else ["sqlite", "postgresql"],
        "sizes": [1000] if quick else [1000, 100_000],
        "workers": [1] if quick else [1, 2],
        "duration": 3.0 if quick else 10.0, "runs": 1 if quick else 3,
        "warmup": 1.0 if quick else 5.0,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    unknown = set(args.operations) - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown operations {sorted(unknown)}; known: {', '.join(OPERATIONS)}")
    args.workdir = args.workdir.resolve()
    return args


def load_contender(name: str) -> Contender:
    """contenders/<name>.py's CONTENDER (or an object or class named `name` in it)."""
    module = importlib.import_module(f"contenders.{name.replace('-', '_')}")
    for attr in ("CONTENDER", "contender"):
        found = getattr(module, attr, None)
        if found is not None:
            return found() if isinstance(found, type) else found  # type: ignore[no-any-return]
    for value in vars(module).values():
        if getattr(value, "name", None) == name and callable(getattr(value, "prepare", None)) \
                and callable(getattr(value, "command", None)):
            return value() if isinstance(value, type) else value  # type: ignore[no-any-return]
    raise LookupError(f"contenders/{name.replace('-', '_')}.py defines no contender {name!r}")


def _row(name: str, backend: str, size: int, workers: int | None, operation: str | None,
         **fields: Any) -> dict[str, Any]:
    return {"contender": name, "backend": backend, "size": size, "workers": workers,
            "operation": operation, **fields}


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]


class Suite:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.started = datetime.now(UTC)
        stamp = self.started.strftime("%Y%m%d-%H%M%S")
        self.base = ROOT / "bench" / "results" / f"suite-{stamp}"
        self.logs = args.workdir / "logs" / stamp
        self.rows: list[dict[str, Any]] = []
        self.extras: dict[str, Any] = {}
        self.phases: dict[str, float] = {}
        self.meta = self._meta()

    def _meta(self) -> dict[str, Any]:
        args = self.args
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=False).stdout.strip()
        model = next((line.split(":", 1)[1].strip() for line in
                      Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), platform.machine())
        return {
            "started": self.started.isoformat(timespec="seconds"), "commit": commit,
            "machine": f"{os.cpu_count()} CPUs, {model}", "python": platform.python_version(),
            "wrk": load.wrk_version() if not args.extras_only else None,
            "load": "load average at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
            "settings": (f"{args.connections} connections, {args.threads} wrk threads, "
                         f"{args.warmup:g} s warm-up, {args.runs} timed runs of "
                         f"{args.duration:g} s (medians)"),
            "notes": [
                "wrk runs on the same machine as the servers and takes CPU from them. CPU µs "
                "per request counts the server's process tree only, not PostgreSQL's own "
                "processes (SQLite runs inside the server, so it is counted).",
                "Each server start gets a fresh copy of the seeded database; per server, reads "
                "run before writes (comment, then create).",
            ],
        }

    def save(self) -> str:
        self.meta["wall_time"] = ", ".join(f"{k} {v / 60:.1f} min"
                                           for k, v in self.phases.items())
        return report.write(self.base, self.meta, self.rows, self.extras)

    def _phase(self, name: str, seconds: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    def run(self) -> None:
        args = self.args
        contenders: dict[str, Contender | BaseException] = {}
        for name in args.contenders:
            try:
                contenders[name] = load_contender(name)
            except Exception as error:  # reported as missing, not a crash
                print(f"{name}: missing ({_reason(error)})", flush=True)
                contenders[name] = error
        for backend in args.backends:
            for size in args.sizes:
                for name, contender in contenders.items():
                    if isinstance(contender, BaseException):
                        self.rows.append(_row(name, backend, size, None, None,
                                              status="missing", reason=_reason(contender)))
                        self.save()
                        continue
                    self.measure(contender, backend, size)

    def measure(self, contender: Contender, backend: str, size: int) -> None:
        args = self.args
        # Optional attributes a contender may have besides the protocol's.
        notes = getattr(contender, "notes", None)
        if notes and f"{contender.name}: {notes}" not in self.meta["notes"]:
            self.meta["notes"].append(f"{contender.name}: {notes}")
        backends = getattr(contender, "backends", None)
        if backends is not None and backend not in backends:
            self.rows.append(_row(contender.name, backend, size, None, None, status="skipped",
                                  reason=f"measured on {', '.join(backends)} only"))
            self.save()
            return
        for workers in args.workers:
            label = f"{contender.name} {backend} {size} tickets, {workers} worker(s)"
            print(f"{label}: preparing", flush=True)
            started = time.monotonic()
            try:
                prepared = contender.prepare(backend=backend, size=size, workdir=args.workdir)
            except Exception as error:
                traceback.print_exc()
                self.rows.append(_row(contender.name, backend, size, workers, None,
                                      status="missing", reason=f"prepare: {_reason(error)}"))
                self.save()
                return
            finally:
                self._phase("prepare", time.monotonic() - started)
            operations = [op for op in EXECUTION_ORDER if op in args.operations
                          and op in contender.operations and op in prepared.requests]
            started = time.monotonic()
            port = free_port()
            log = self.logs / f"{contender.name}-{backend}-{size}-{workers}w.log"
            try:
                server = Server(contender.command(port=port, workers=workers, prepared=prepared),
                                env=prepared.env, port=port, log=log)
                with server:
                    for op in operations:
                        row = self.measure_operation(server, contender.name, prepared, op,
                                                     backend, size, workers)
                        if row["status"] != "ok":
                            print(f"  {contender.name} {backend} {size} {workers}w {op}: "
                                  f"{row['status']}: {row['reason']}", flush=True)
                        self.rows.append(row)
                        self.save()
            except (ServerError, OSError) as error:
                self.rows.append(_row(contender.name, backend, size, workers, None,
                                      status="failed", reason=f"server: {_reason(error)}"))
                self.save()
            finally:
                self._phase("load", time.monotonic() - started)

    def measure_operation(self, server: Server, name: str, prepared: Prepared, op: str,
                          backend: str, size: int, workers: int) -> dict[str, Any]:
        args = self.args
        spec = prepared.requests[op]
        key = _row(name, backend, size, workers, op)
        try:
            status, body = load.probe(server.port, spec, prepared.headers)
        except OSError as error:
            return {**key, "status": "failed", "reason": f"probe: {_reason(error)}"}
        if not 200 <= status < 300:
            return {**key, "status": "failed",
                    "reason": f"probe answered {status}: {body[:150]!r}"}
        request_file = self.logs / "requests" / f"{name}-{backend}-{size}-{workers}-{op}.txt"
        load.write_request_file(request_file, spec, prepared.headers)
        script = self.logs / "rotate.lua"
        runs: list[dict[str, Any]] = []
        try:
            if args.warmup > 0:
                load.run_wrk(server.port, request_file, script=script, seconds=args.warmup,
                             connections=args.connections, threads=args.threads)
            for _ in range(args.runs):
                server.wait_idle()
                load_before = os.getloadavg()[0]
                cpu_before = server.cpu_seconds()
                result = load.run_wrk(server.port, request_file, script=script,
                                      seconds=args.duration, connections=args.connections,
                                      threads=args.threads)
                cpu = server.cpu_seconds() - cpu_before
                runs.append({
                    "requests": result.requests, "seconds": round(result.seconds, 3),
                    "requests_per_second": round(result.requests_per_second, 1),
                    "p50_ms": round(result.p50_ms, 3), "p99_ms": round(result.p99_ms, 3),
                    "cpu_us_per_request": round(cpu * 1e6 / result.requests, 1)
                    if result.requests else None,
                    "errors": result.errors, "load_average": round(load_before, 2)})
            server.wait_idle()
        except load.LoadError as error:
            return {**key, "status": "failed", "reason": f"wrk: {_reason(error)}", "runs": runs}
        if not server.process or server.process.poll() is not None:
            return {**key, "status": "failed", "reason": "server exited during the load"}
        if not all(r["requests"] for r in runs):
            return {**key, "status": "failed", "runs": runs,
                    "reason": f"no request completed in a {args.duration:g} s run"}

        def median(field: str) -> float | None:
            values = [r[field] for r in runs if r[field] is not None]
            return round(statistics.median(values), 3) if values else None

        row = {**key, "status": "ok", "requests_per_second": median("requests_per_second"),
               "p50_ms": median("p50_ms"), "p99_ms": median("p99_ms"),
               "cpu_us_per_request": median("cpu_us_per_request"),
               "errors": sum(r["errors"] for r in runs), "runs": runs}
        print(f"  {name} {backend} {size} {workers}w {op}: "
              f"{row['requests_per_second']:.0f} req/s, p50 {row['p50_ms']:.1f} ms, "
              f"p99 {row['p99_ms']:.1f} ms, {row['cpu_us_per_request']} CPU µs/req, "
              f"{row['errors']} errors", flush=True)
        return row

    def run_extras(self) -> None:
        """The existing single-purpose benchmarks; their JSON from bench/results/."""
        quick = self.args.quick
        rows = "10000" if quick else "100000"
        python = str(ROOT / ".venv" / "bin" / "python")
        results = ROOT / "bench" / "results"
        plans: list[tuple[str, str, list[str], dict[str, str], str]] = []
        for backend in self.args.backends:
            pg = {"TICKETRY_DATABASE_URL": PG_SERVER} if backend == "postgresql" else {}
            plans += [
                ("import", backend, ["bench/import_csv.py", rows], pg, "import_csv.json"),
                ("export", backend, ["bench/export_csv.py", rows], pg, f"export_{backend}.json"),
                ("webhooks", backend, ["bench/webhook_delivery.py"]
                 + (["--events", "300", "--latency", "60"] if quick else []), pg,
                 f"webhook_delivery_{backend}_1w.json"),
            ]
        # search.py measures SQLite, and PostgreSQL too when given a server.
        pg_search = {"TICKETRY_DATABASE_URL": PG_SERVER} if "postgresql" in self.args.backends \
            else {}
        plans.append(("search", "all", ["bench/search.py", rows]
                      + (["--repeat", "5"] if quick else []), pg_search, "search.json"))
        failed: dict[str, str] = self.extras.setdefault("failed", {})
        for name, backend, argv, env, output in plans:
            print(f"extra: {' '.join(argv)} ({backend})", flush=True)
            started, wall = time.monotonic(), time.time()
            temporary = None
            if name == "import" and env:
                # import_csv.py imports into the very database it is given: a scratch one.
                temporary = f"bench_import_{uuid.uuid4().hex[:8]}"
                subprocess.run(["psql", PG_SERVER, "-qc", f'CREATE DATABASE "{temporary}"'],
                               check=True)
                env = {"TICKETRY_DATABASE_URL": PG_SERVER.rsplit("/", 1)[0] + "/" + temporary}
            try:
                done = subprocess.run([python, *argv], cwd=ROOT, env={**os.environ, **env},
                                      capture_output=True, text=True, check=False)
                path = results / output
                if done.returncode != 0 or not path.exists() or path.stat().st_mtime < wall:
                    tail = (done.stderr.strip().splitlines() or [""])[-1]
                    failed[f"{name} ({backend})"] = f"exit {done.returncode}: {tail}"[:300]
                    continue
                data = json.loads(path.read_text())
                if name in ("import", "webhooks"):
                    data["backend"] = backend
                self.extras.setdefault(name, []).extend(data if isinstance(data, list)
                                                        else [data])
            finally:
                if temporary:
                    subprocess.run(["psql", PG_SERVER, "-qc",
                                    f'DROP DATABASE IF EXISTS "{temporary}" WITH (FORCE)'],
                                   check=False)
                self._phase("extras", time.monotonic() - started)
                self.save()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.extras_only:
        load.wrk_path()
    args.workdir.mkdir(parents=True, exist_ok=True)
    suite = Suite(args)
    started = time.monotonic()
    try:
        if not args.extras_only:
            suite.run()
        if args.extras or args.extras_only:
            suite.run_extras()
    finally:
        suite._phase("total", time.monotonic() - started)
        text = suite.save()
    print()
    print(text)
    print(f"written: {suite.base.with_suffix('.md')} and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
