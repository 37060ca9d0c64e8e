"""Webhook delivery: events delivered per second, and the delay from commit to delivery.

    .venv/bin/python bench/webhook_delivery.py [--events 2000] [--workers 1] [--latency 300]

Starts `ticketry serve --no-worker` on a fresh SQLite database (or a new database on the
PostgreSQL server named by TICKETRY_DATABASE_URL), a webhook receiver on 127.0.0.1, and
`ticketry worker` processes:
- throughput: EVENTS tickets are created with no worker running, then the workers start;
  rate = events / (last delivery - first delivery);
- delay: with the workers running, tickets are created one at a time at ~20/s; the delay of
  each is the receiver's clock at arrival minus the event's commit time (the ticket's
  created_at, written in the committing transaction), median and p99.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TICKETRY = str(Path(sys.executable).parent / "ticketry")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.created: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                now = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ticket = json.loads(body)["data"]["ticket"]
                with receiver.lock:
                    receiver.count += 1
                    receiver.arrivals.setdefault(ticket["public_id"], now)
                    receiver.created[ticket["public_id"]] = datetime.fromisoformat(
                        ticket["created_at"]).timestamp()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(self.arrivals)} of {count} delivered")
            time.sleep(0.01)


def database_url(work: Path) -> tuple[str, str | None]:
    raw = os.environ.get("TICKETRY_DATABASE_URL", "")
    if not raw.startswith("postgres"):
        return f"sqlite:///{work / 'bench.db'}", None
    name = f"ticketry_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", raw, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    return raw.rsplit("/", 1)[0] + f"/{name}", name


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--latency", type=int, default=300)
    args = parser.parse_args()
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="ticketry-bench-") as tmp:
        work = Path(tmp)
        url, pg_name = database_url(work)
        port = free_port()
        env = {**os.environ, "TICKETRY_VAR_DIR": str(work / "var"), "TICKETRY_DATABASE_URL": url,
               "TICKETRY_ADMIN_PASSWORD": "bench-admin-password",
               "TICKETRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
               # One admin creates every ticket: the general limit (1000/hour) would refuse
               # the rest. This measures delivery, not rate limiting.
               "TICKETRY_RATE_LIMIT_ENABLED": "false",
               "TICKETRY_STORAGE_PATH": str(work / "files")}
        server = subprocess.Popen([TICKETRY, "serve", "--no-worker", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        workers: list[subprocess.Popen[bytes]] = []
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            client = httpx.Client(base_url=base, timeout=30)
            token = client.post("/api/v1/auth/login", json={
                "username": "admin", "password": "bench-admin-password"}).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            hook = client.post("/api/v1/webhooks", json={"url": receiver.url,
                                                         "events": ["ticket.created"]})
            hook.raise_for_status()
            for n in range(args.events):
                client.post("/api/v1/tickets", json={"title": f"Bench {n}",
                                                     "description": "webhook bench"}
                            ).raise_for_status()
            workers = [subprocess.Popen([TICKETRY, "worker"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                       for _ in range(args.workers)]
            receiver.wait(args.events, 600)
            arrivals = sorted(receiver.arrivals.values())
            rate = (len(arrivals) - 1) / max(arrivals[-1] - arrivals[0], 1e-9)

            before = set(receiver.arrivals)
            for n in range(args.latency):
                client.post("/api/v1/tickets", json={"title": f"Latency {n}",
                                                     "description": "webhook bench"}
                            ).raise_for_status()
                time.sleep(0.05)
            receiver.wait(args.events + args.latency, 120)
            delays = sorted((receiver.arrivals[t] - receiver.created[t]) * 1000
                            for t in receiver.arrivals if t not in before)
        finally:
            for process in [*workers, server]:
                process.terminate()
            for process in [*workers, server]:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            if pg_name:
                admin_url = os.environ["TICKETRY_DATABASE_URL"]
                subprocess.run(["psql", admin_url, "-qc",
                                f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'], check=False)
    result = {
        "database": "postgresql" if pg_name else "sqlite", "workers": args.workers,
        "events": args.events, "events_per_second": round(rate, 1),
        "delay_ms_p50": round(statistics.median(delays), 1),
        "delay_ms_p99": round(delays[min(len(delays) - 1, int(len(delays) * 0.99))], 1),
        "deliveries_received": receiver.count,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = f"webhook_delivery_{result['database']}_{args.workers}w.json"
    (out / name).write_text(json.dumps(result, indent=2))
    print("| database | workers | events | events/s | delay p50 (ms) | delay p99 (ms) |")
    print("|---|---|---|---|---|---|")
    print(f"| {result['database']} | {args.workers} | {args.events} | "
          f"{result['events_per_second']} | {result['delay_ms_p50']} | {result['delay_ms_p99']} |")
    return result


if __name__ == "__main__":
    main()
