"""The real peer: django-helpdesk 2.6.1 and its DRF ticket API, on SQLite, served by gunicorn.

Everything of django-helpdesk lives in its own virtual environment (`<workdir>/django-venv`,
built from `django_peer/requirements.txt` when missing or when the pins change), never in
Ticketry's. The Django project is `bench/suite/django_peer/` (settings, urls, wsgi, and the
`seed_helpdesk` command that writes the suite's data shape with bulk_create).

A seeded database is cached per size (`<workdir>/django-helpdesk/sqlite-<size>-v<n>.db`, and its
`.json` with the agent's token and the ids); each `prepare` serves a fresh copy of it, so the
tickets created by one run never grow the next one's data.

How it compares with the others (also in `NOTES`, for the report):
- Every request is authenticated as a staff agent with DRF's TokenAuthentication (one indexed
  lookup, no password hash per request), set as the project's only authentication class.
- get: GET /api/tickets/<id>/ answers the ticket with its follow-ups nested, and the queue and
  assignee as ids (the API's own shape).
- list: GET /api/tickets/?status=1&ordering=-id&page_size=20. The viewset filters by status
  itself; it has no sort of its own, so the project names DRF's OrderingFilter as the default
  filter backend, which sorts by the serializer's fields. `created` is not one of them, so the
  list sorts by -id; the seed creates tickets in id order, so that is newest first as well.
- create: POST /api/tickets/ with queue, title, description and priority; it goes through
  django-helpdesk's TicketForm, writes the "Ticket Opened" follow-up and renders its
  notification mail (Django's dummy mail backend sends nothing).
- The viewset's get_queryset() walks every ticket the agent may see (status-filtered for the
  list), one custom-field query each, before it answers, for the list and for a single ticket
  alike: its cost grows with the number of tickets, which the 100 000 size shows.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

SUITE = Path(__file__).resolve().parents[1]
if str(SUITE) not in sys.path:  # imported from outside run.py
    sys.path.insert(0, str(SUITE))

from contender import Prepared, RequestSpec  # noqa: E402

PROJECT = SUITE / "django_peer"
REQUIREMENTS = PROJECT / "requirements.txt"
GET_IDS = 1000  # distinct tickets the get operation rotates over
# Bump when the seed's data shape changes: cached databases of another version are rebuilt.
DATA_VERSION = 2
NEW_TICKET = {"title": "VPN drops every few minutes on the office network",
              "description": "Since this morning the VPN disconnects every few minutes. "
                             "Reconnecting works, but calls and uploads are cut off.",
              "priority": 2}

NOTES = (
    "django-helpdesk 2.6.1 (Django 5.2, DRF) on SQLite (WAL), gunicorn sync workers (no "
    "keep-alive: a connection per request); "
    "DRF token auth as a staff agent; get returns follow-ups nested and queue/assignee as ids; "
    "list = ?status=1&ordering=-id&page_size=20 (its own status filter; ordering through DRF's "
    "OrderingFilter set as the project's default filter backend; -id stands for created desc, "
    "the seed creates tickets in date order); create goes through its TicketForm (follow-up and "
    "notification mail rendered, dummy mail backend); its get_queryset() walks every visible "
    "ticket with one query each, for get and list alike, so its cost grows with the database."
)


class DjangoHelpdesk:
    name = "django-helpdesk"
    operations: tuple[str, ...] = ("get", "list", "create")
    backends: tuple[str, ...] = ("sqlite",)
    notes = NOTES

    def prepare(self, *, backend: str, size: int, workdir: Path) -> Prepared:
        if backend not in self.backends:
            raise ValueError(f"django-helpdesk is measured on SQLite only, not {backend}")
        workdir = workdir.resolve()
        venv = ensure_venv(workdir / "django-venv")
        home = workdir / "django-helpdesk"
        pristine, facts = ensure_seeded(venv, home, size)

        database = home / f"run-{size}.db"
        remove_database(database)
        copy_database(pristine, database)
        media = home / "media"
        media.mkdir(parents=True, exist_ok=True)

        first, count = facts["first_ticket"], facts["tickets"]
        ids = random.Random(size).sample(range(first, first + count), min(GET_IDS, count))
        create = {"queue": facts["queue"], **NEW_TICKET}
        return Prepared(
            env={
                "HELPDESK_PEER_VENV": str(venv),
                "DJANGO_SETTINGS_MODULE": "helpdesk_peer.settings",
                "HELPDESK_PEER_DB": str(database),
                "HELPDESK_PEER_MEDIA": str(media),
            },
            headers={"Authorization": f"Token {facts['token']}"},
            requests={
                "get": RequestSpec("GET", [f"/api/tickets/{ticket}/" for ticket in ids]),
                "list": RequestSpec("GET", [
                    f"/api/tickets/?status={facts['open_status']}&ordering=-id&page_size=20"
                ]),
                "create": RequestSpec("POST", ["/api/tickets/"], body=json.dumps(create).encode()),
            },
        )

    def command(self, *, port: int, workers: int, prepared: Prepared) -> list[str]:
        venv = Path(prepared.env["HELPDESK_PEER_VENV"])
        return [
            str(venv / "bin" / "gunicorn"),
            "--chdir", str(PROJECT),
            "--workers", str(workers),
            "--bind", f"127.0.0.1:{port}",
            # A request over 100 000 tickets takes seconds here; the default 30 s would kill
            # the worker under a queue of 32 connections instead of measuring it.
            "--timeout", "600",
            # gunicorn 27 opens a control socket in ~/.gunicorn by default, one per machine.
            "--no-control-socket",
            "helpdesk_peer.wsgi:application",
        ]


def ensure_venv(venv: Path) -> Path:
    """The peer's own virtual environment, holding exactly the pinned requirements."""
    stamp = venv / "requirements.installed"
    wanted = REQUIREMENTS.read_text()
    if stamp.exists() and stamp.read_text() == wanted and (venv / "bin" / "gunicorn").exists():
        return venv
    if not (venv / "bin" / "python").exists():
        print(f"django-helpdesk: creating {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print("django-helpdesk: installing its requirements", file=sys.stderr)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return venv


def ensure_seeded(venv: Path, home: Path, size: int) -> tuple[Path, dict[str, int | str]]:
    """The cached database of `size` tickets and what its seeding printed, made when missing."""
    stem = f"sqlite-{size}-v{DATA_VERSION}"
    database, facts_file = home / f"{stem}.db", home / f"{stem}.json"
    if database.exists() and facts_file.exists():
        return database, json.loads(facts_file.read_text())
    home.mkdir(parents=True, exist_ok=True)
    building = home / f"building-{size}.db"
    remove_database(building)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk_peer.settings",
           "HELPDESK_PEER_DB": str(building), "HELPDESK_PEER_MEDIA": str(home / "media")}
    python, manage = str(venv / "bin" / "python"), str(PROJECT / "manage.py")
    print(f"django-helpdesk: seeding {size} tickets", file=sys.stderr)
    subprocess.run([python, manage, "migrate", "--verbosity", "0"], env=env, cwd=PROJECT,
                   check=True)
    seeded = subprocess.run([python, manage, "seed_helpdesk", "--size", str(size)], env=env,
                            cwd=PROJECT, check=True, capture_output=True, text=True)
    facts = json.loads(seeded.stdout.strip().splitlines()[-1])
    copy_database(building, database)
    remove_database(building)
    facts_file.write_text(json.dumps(facts))
    return database, facts


def remove_database(database: Path) -> None:
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included), through SQLite's backup API."""
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    shutil.move(partial, target)


CONTENDER = DjangoHelpdesk()
