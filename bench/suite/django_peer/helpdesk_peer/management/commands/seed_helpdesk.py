"""Fill a migrated, empty django-helpdesk database with the benchmark suite's data shape.

`size` tickets in one queue, as the other contenders seed theirs: a title and two sentences of
description; 30 % open, 20 % reopened (django-helpdesk has no "in progress"; reopened is its
other open state), 50 % resolved; priority 1-4; assigned to one of 20 staff agents (a tenth
unassigned); submitted by one of 200 requesters (django-helpdesk records a requester as
`submitter_email`); created over the last year in id order (so ordering by -id is ordering by
newest first); each with the "Ticket Opened" follow-up django-helpdesk itself writes when a
ticket is created. Plus the staff agent the benchmark acts as and its DRF token. Prints what
the contender needs as one line of JSON.
"""

import json
import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from helpdesk.models import FollowUp, Queue, Ticket
from rest_framework.authtoken.models import Token

WORDS = (
    "server", "database", "network", "printer", "laptop", "vpn", "email", "outage", "slow",
    "error", "login", "password", "deploy", "build", "pipeline", "disk", "memory", "cpu",
    "certificate", "dns", "firewall", "backup", "restore", "access", "request", "change",
    "incident", "upgrade", "license", "monitor", "alert", "queue", "timeout",
)
STATUS_WEIGHTS = {Ticket.OPEN_STATUS: 0.3, Ticket.REOPENED_STATUS: 0.2, Ticket.RESOLVED_STATUS: 0.5}
AGENTS = 20
REQUESTERS = 200
BATCH = 5000


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


class Command(BaseCommand):
    help = "Seed `--size` tickets in the benchmark suite's shape and print the bench token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, required=True)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, size: int, seed: int, **options: Any) -> None:
        if Ticket.objects.exists():
            raise CommandError("the database already holds tickets; seed an empty one")
        rng = random.Random(seed)
        users = get_user_model()
        now = timezone.now().replace(microsecond=0)

        with transaction.atomic():
            # One by one: creating a user makes its helpdesk UserSettings (a post_save signal).
            bench = users.objects.create_user("bench", "bench@example.com", is_staff=True)
            bench.set_unusable_password()
            bench.save()
            agents = [
                users.objects.create_user(
                    f"agent{n}", f"agent{n}@example.com", first_name="Agent",
                    last_name=str(n), is_staff=True,
                )
                for n in range(AGENTS)
            ]
            token = Token.objects.create(user=bench)
            queue = Queue.objects.create(
                title="Support", slug="support", email_address="support@example.com",
            )

        # Seconds back from now, sorted so that ids ascend with creation time.
        ages = sorted((rng.uniform(0, 365 * 86400) for _ in range(size)), reverse=True)
        statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=size)
        # bulk_create would stamp auto_now/auto_now_add fields with the present moment.
        created_field = Ticket._meta.get_field("created")
        modified_field = Ticket._meta.get_field("modified")
        created_field.auto_now_add = modified_field.auto_now = False
        for start in range(0, size, BATCH):
            tickets = []
            for age, status in zip(ages[start:start + BATCH], statuses[start:start + BATCH],
                                   strict=True):
                created = now - timedelta(seconds=age)
                tickets.append(Ticket(
                    title=sentence(rng, rng.randint(4, 8)),
                    description=sentence(rng, rng.randint(10, 20)) + " "
                    + sentence(rng, rng.randint(8, 16)),
                    queue=queue,
                    status=status,
                    priority=rng.randint(1, 4),
                    assigned_to=rng.choice(agents) if rng.random() < 0.9 else None,
                    submitter_email=f"customer{rng.randrange(REQUESTERS)}@example.com",
                    created=created,
                    modified=created,
                ))
            with transaction.atomic():
                tickets = Ticket.objects.bulk_create(tickets)
                FollowUp.objects.bulk_create(
                    FollowUp(ticket=ticket, title="Ticket Opened", date=ticket.created,
                             public=True, comment=ticket.description, user=bench)
                    for ticket in tickets
                )

        ids = list(Ticket.objects.order_by("id").values_list("id", flat=True)[:1])
        self.stdout.write(json.dumps({
            "token": token.key,
            "queue": queue.pk,
            "first_ticket": ids[0] if ids else None,
            "tickets": size,
            "open_status": Ticket.OPEN_STATUS,
        }))
