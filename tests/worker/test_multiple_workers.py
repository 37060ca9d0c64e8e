"""Several `ticketry worker` processes share the work: every event is delivered, none twice
without a failure in between, and a worker killed mid-run loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import fresh_database_url
from tests.live_server import TICKETRY, LiveServer, live_server
from tests.webhook_receiver import Receiver, webhook_receiver

EVENTS = 500


@pytest.fixture
def server_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own for the processes of one test (SQLite file or new PG database)."""
    with fresh_database_url(os.environ.get("TICKETRY_DATABASE_URL", ""),
                            sqlite_file=tmp_path / "server.db", prefix="ticketry_workers") as url:
        yield url


def start_worker(live: LiveServer, log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen([TICKETRY, "worker"], env=live.env, stdout=out,
                                stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def subscribe_and_create_tickets(live: LiveServer, receiver: Receiver) -> set[str]:
    """One webhook for ticket.created, then EVENTS tickets in one import (one event each);
    returns their titles."""
    titles = [f"Ticket {n}" for n in range(EVENTS)]
    rows = "".join(f"{title},Load test ticket {n},C{n},c{n}@example.com,Customer,other,low,new\n"
                   for n, title in enumerate(titles))
    csv = ("title,description,customer_id,customer_email,customer_name,category,priority,"
           "status\n" + rows)
    with httpx.Client(base_url=live.base_url, timeout=60) as client:
        token = client.post("/api/v1/auth/login", json={
            "username": "admin", "password": "first-admin-password"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        response = client.post("/api/v1/webhooks", headers=headers, json={
            "url": receiver.url, "events": ["ticket.created"], "secret": "s3cret",
            "active": True})
        assert response.status_code == 201, response.text
        imported = client.post("/api/v1/tickets/import?queue=support", headers=headers,
                               files={"file": ("load.csv", csv.encode(), "text/csv")})
        assert imported.json()["successful"] == EVENTS, imported.text[:500]
    return set(titles)


def delivered_ticket_ids(receiver: Receiver) -> Counter[str]:
    with receiver.lock:
        return Counter(d.payload["data"]["ticket"]["public_id"] for d in receiver.deliveries)


def delivered_titles(receiver: Receiver) -> set[str]:
    with receiver.lock:
        return {d.payload["data"]["ticket"]["title"] for d in receiver.deliveries}


def worker_env(url: str) -> dict[str, str]:
    return {"TICKETRY_DATABASE_URL": url, "TICKETRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "TICKETRY_WORKER_POLL_INTERVAL": "0.05", "TICKETRY_WORKER_LEASE_SECONDS": "3",
            "TICKETRY_WEBHOOK_RETRY_SCHEDULE": "1,1,1,1,1"}


def test_two_workers_deliver_every_event_exactly_once(tmp_path: Path,
                                                      server_database_url: str) -> None:
    with webhook_receiver() as receiver, \
            live_server(tmp_path, env=worker_env(server_database_url)) as live:
        tickets = subscribe_and_create_tickets(live, receiver)
        workers = [start_worker(live, tmp_path / f"worker{n}.log") for n in range(2)]
        try:
            assert receiver.wait_for(lambda r: len(delivered_ticket_ids(r)) >= EVENTS, 120), \
                f"{len(delivered_ticket_ids(receiver))} of {EVENTS} delivered"
            time.sleep(1)  # anything delivered twice would arrive by now
        finally:
            for worker in workers:
                stop(worker)
        counts = delivered_ticket_ids(receiver)
        assert delivered_titles(receiver) == tickets
        assert len(counts) == EVENTS
        assert max(counts.values()) == 1, [t for t, n in counts.items() if n > 1][:5]
        # Both workers took part.
        logs = [(tmp_path / f"worker{n}.log").read_text() for n in range(2)]
        assert all("worker_started" in log for log in logs)


def test_a_worker_killed_mid_run_loses_nothing(tmp_path: Path, server_database_url: str) -> None:
    with webhook_receiver() as receiver, \
            live_server(tmp_path, env=worker_env(server_database_url)) as live:
        receiver.delay_seconds = 0.05  # deliveries in flight when the worker dies
        tickets = subscribe_and_create_tickets(live, receiver)
        victim = start_worker(live, tmp_path / "victim.log")
        survivor = start_worker(live, tmp_path / "survivor.log")
        try:
            assert receiver.wait_for(lambda r: len(r.deliveries) >= EVENTS // 5, 60)
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            assert receiver.wait_for(lambda r: len(delivered_ticket_ids(r)) >= EVENTS, 120), \
                f"{len(delivered_ticket_ids(receiver))} of {EVENTS} delivered"
        finally:
            stop(victim)
            stop(survivor)
        assert len(delivered_ticket_ids(receiver)) == EVENTS
        assert delivered_titles(receiver) == tickets


def test_sigterm_stops_a_worker_cleanly(tmp_path: Path, server_database_url: str) -> None:
    with live_server(tmp_path, env=worker_env(server_database_url)) as live:
        worker = start_worker(live, tmp_path / "worker.log")
        log = tmp_path / "worker.log"
        deadline = time.monotonic() + 30
        while "worker_started" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        assert "worker_stopped" in log.read_text()


def test_serve_runs_the_worker_itself(tmp_path: Path, server_database_url: str) -> None:
    """One process is enough on one machine: `ticketry serve` delivers webhooks itself."""
    with webhook_receiver() as receiver, \
            live_server(tmp_path, env=worker_env(server_database_url), worker=True) as live:
        with httpx.Client(base_url=live.base_url, timeout=30) as client:
            token = client.post("/api/v1/auth/login", json={
                "username": "admin", "password": "first-admin-password"}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            assert client.post("/api/v1/webhooks", headers=headers, json={
                "url": receiver.url, "events": ["ticket.created"]}).status_code == 201
            created = client.post("/api/v1/tickets", headers=headers,
                                  json={"title": "Printer on fire", "description": "Really"})
        assert receiver.wait_for(lambda r: len(r.deliveries) == 1, 30)
        assert delivered_ticket_ids(receiver) == Counter({created.json()["id"]: 1})
    # SIGTERM (sent when the block ends) stops the embedded worker cleanly too.
    assert "worker_stopped" in (tmp_path / "server.log").read_text()
