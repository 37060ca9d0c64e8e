"""The `ticketry` command."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ticketry.config import get_settings
from ticketry.db import Database

app = typer.Typer(help="Ticketry: ticket management service.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(users_app, name="users")
console = Console(soft_wrap=True)


def _database() -> Database:
    settings = get_settings()
    return Database(settings.database_url, pool_size=5, max_overflow=5)


@app.command()
def migrate() -> None:
    """Apply database migrations, install missing queue presets, create the first admin."""
    from ticketry.cli.bootstrap import bootstrap

    settings = get_settings()
    database = _database()
    report = bootstrap(database, settings)
    _print_bootstrap(report, settings.admin_username)
    console.print("[green]database is up to date[/green]")
    database.dispose()


def _print_bootstrap(report: object, admin_username: str) -> None:
    from ticketry.cli.bootstrap import BootstrapReport

    assert isinstance(report, BootstrapReport)
    if report.presets_installed:
        console.print(f"installed queue presets: {', '.join(report.presets_installed)}")
    if report.admin is not None:
        if report.admin.password is not None:
            console.print(
                f"[bold]created administrator[/bold] {report.admin.username!r} with password "
                f"[bold yellow]{report.admin.password}[/bold yellow] (shown once; change it)")
        else:
            console.print(f"created administrator {report.admin.username!r} "
                          "(password from TICKETRY_ADMIN_PASSWORD)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Server processes")] = 1,
    no_worker: Annotated[bool, typer.Option(
        "--no-worker", help="Do not run the embedded worker (run `ticketry worker` elsewhere)")] = False,
) -> None:
    """Apply migrations, then serve the API (http://127.0.0.1:8000 by default)."""
    import uvicorn

    from ticketry.cli.bootstrap import bootstrap

    settings = get_settings()
    database = _database()
    report = bootstrap(database, settings)
    database.dispose()
    _print_bootstrap(report, settings.admin_username)
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(f"Ticketry listening on [bold]http://{bind_host}:{bind_port}[/bold] "
                  f"(API docs at /docs; log in with POST /api/v1/auth/login as "
                  f"{settings.admin_username!r})")
    embedded = None
    if not no_worker:
        from ticketry.log import configure_logging
        from ticketry.worker.runner import EmbeddedWorker

        configure_logging(debug=settings.debug, json_output=settings.environment == "production")
        embedded = EmbeddedWorker(settings)
        embedded.start()

        # uvicorn re-raises the SIGTERM it handled once it has shut down; with the default
        # handler that would end the process before the worker could finish or hand back.
        def _terminated(_signum: int, _frame: object) -> None:
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, _terminated)
    try:
        uvicorn.run("ticketry.api.asgi:app", host=bind_host, port=bind_port, workers=workers,
                    log_level="info", proxy_headers=False, access_log=settings.debug)
    finally:
        if embedded is not None:
            embedded.stop()


@app.command()
def worker() -> None:
    """Run the background worker (webhooks, notifications, e-mail, SLA and approval timers)
    until SIGTERM; several may run at once on PostgreSQL."""
    from ticketry.log import configure_logging
    from ticketry.migrations import upgrade_to_head
    from ticketry.worker.runner import run_worker_forever

    settings = get_settings()
    configure_logging(debug=settings.debug, json_output=settings.environment == "production")
    database = _database()
    upgrade_to_head(database.engine)
    console.print("Ticketry worker started")
    try:
        run_worker_forever(database, settings)
    finally:
        database.dispose()


@users_app.command("create")
def users_create(
    username: str,
    email: Annotated[str, typer.Option(help="E-mail address")],
    password: Annotated[str, typer.Option(help="Password (at least 8 characters)")],
    role: Annotated[str, typer.Option(help="END_USER, DEVOPS_ENGINEER, TEAM_LEAD, MANAGER "
                                           "or ADMIN")] = "END_USER",
    full_name: Annotated[str | None, typer.Option(help="Display name")] = None,
) -> None:
    """Create a user."""
    from pydantic import ValidationError

    from ticketry.cli.bootstrap import bootstrap
    from ticketry.domain.errors import DomainError
    from ticketry.domain.users.schemas import UserCreate
    from ticketry.domain.users.service import create_user

    settings = get_settings()
    database = _database()
    bootstrap(database, settings)
    try:
        data = UserCreate(username=username, email=email, password=password,
                          role=role.upper(), full_name=full_name)
        with database.unit_of_work() as session:
            user = create_user(session, actor=None, data=data)
            public_id = user.public_id
    except ValidationError as exc:
        for err in exc.errors():
            console.print(f"[red]{'.'.join(str(p) for p in err['loc'])}: {err['msg']}[/red]")
        raise typer.Exit(2) from exc
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    console.print(f"created user {username!r} ({role.upper()}) id={public_id}")


@app.command("api-tokens")
def api_tokens(
    create: Annotated[bool, typer.Option("--create", help="Create a token")] = False,
    name: Annotated[str | None, typer.Option(help="Token name (with --create)")] = None,
    user: Annotated[str | None, typer.Option(help="Owner's username (with --create)")] = None,
    expires_days: Annotated[int | None, typer.Option(help="Expire after N days")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List all tokens")] = False,
    deactivate: Annotated[str | None, typer.Option(metavar="ID_OR_TOKEN",
                                                   help="Deactivate a token")] = None,
    activate: Annotated[str | None, typer.Option(metavar="ID_OR_TOKEN",
                                                 help="Reactivate a token")] = None,
) -> None:
    """Manage API tokens (as the integration document's `api_tokens` command)."""
    from rich.table import Table

    from ticketry.cli.bootstrap import bootstrap
    from ticketry.domain.api_tokens import service
    from ticketry.domain.errors import DomainError

    chosen = [flag for flag, on in (("--create", create), ("--list", list_),
                                    ("--deactivate", deactivate is not None),
                                    ("--activate", activate is not None)) if on]
    if len(chosen) != 1:
        console.print("[red]give exactly one of --create, --list, --deactivate, --activate[/red]")
        raise typer.Exit(2)
    if create and (not name or not user):
        console.print("[red]--create needs --name NAME and --user USERNAME[/red]")
        raise typer.Exit(2)
    settings = get_settings()
    database = _database()
    bootstrap(database, settings)
    try:
        with database.unit_of_work() as session:
            if create:
                assert name is not None
                assert user is not None
                issued = service.create_api_token_for(session, username=user, name=name,
                                                      expires_days=expires_days)
                console.print(f"created API token {issued.token.id} {name!r} for {user!r}"
                              + (f", expires {issued.token.expires_at:%Y-%m-%d}"
                                 if issued.token.expires_at else ""))
                console.print("token (shown only now, store it safely):")
                # Plain print: nothing may wrap or decorate the secret.
                print(issued.secret)
            elif list_:
                table = Table("id", "name", "user", "active", "created", "expires", "last used")
                for token in service.list_api_tokens(session, actor=None):
                    table.add_row(
                        str(token.id), token.name, token.user.username,
                        "yes" if token.is_active else "no",
                        f"{token.created_at:%Y-%m-%d %H:%M}",
                        f"{token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "never",
                        f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
                    )
                # Wide enough that a row never wraps (scripts read this output).
                Console(soft_wrap=True, width=max(console.width, 160)).print(table)
            else:
                ref = deactivate if deactivate is not None else activate
                assert ref is not None
                token = service.set_api_token_active(session, actor=None, ref=ref,
                                                     active=activate is not None)
                state = "activated" if token.is_active else "deactivated"
                console.print(f"{state} API token {token.id} {token.name!r}")
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="A CSV, JSON or XML file of tickets")],
    queue: Annotated[str | None, typer.Option(help="Queue key (default: the default queue)")]
    = None,
    format_: Annotated[str | None, typer.Option("--format", help="csv, json or xml "
                                                "(default: from the extension)")] = None,
    user: Annotated[str | None, typer.Option(help="Import as this user (default: the admin)")]
    = None,
    # Each batch is one transaction: a crash loses at most the batch in flight. 5 000 rows
    # per commit: 20 000 rows in 2.7 s instead of 3.2 s with 1 000 (SQLite), while the write
    # lock is held for under a second at a time.
    batch_size: Annotated[int, typer.Option(min=1, max=100_000,
                                            help="Rows per transaction")] = 5000,
) -> None:
    """Import tickets from a file, with a progress bar; every row validated by the queue's rules."""
    from rich.progress import BarColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    from ticketry.cli.bootstrap import bootstrap
    from ticketry.domain.errors import DomainError
    from ticketry.domain.imports.parsers import detect_format, iter_rows
    from ticketry.domain.imports.service import import_tickets
    from ticketry.domain.users.service import get_user_by_username

    settings = get_settings()
    database = _database()
    bootstrap(database, settings)
    try:
        fmt = detect_format(format_, file.name, None)
        with database.unit_of_work() as session, file.open("rb") as raw, Progress(
                "[progress.description]{task.description}", BarColumn(),
                "[progress.percentage]{task.percentage:>3.0f}%", TransferSpeedColumn(),
                TimeRemainingColumn(), console=console) as progress:
            actor = get_user_by_username(session, user or settings.admin_username)
            if actor is None:
                console.print(f"[red]no user {user or settings.admin_username!r}[/red]")
                raise typer.Exit(1)
            task = progress.add_task(f"importing {file.name}", total=file.stat().st_size)
            report = import_tickets(
                session, actor=actor, queue_key=queue, rows=iter_rows(raw, fmt),
                checkpoint=session.commit, batch_size=batch_size,
                progress=lambda _rows: progress.update(task, completed=raw.tell()))
            progress.update(task, completed=file.stat().st_size)
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    console.print(f"imported {report.successful} of {report.total} rows "
                  f"({report.failed} refused)")
    for error in report.errors[:20]:
        console.print(f"  row {error['row']}: {'; '.join(error['errors'])}")
    if report.failed > 20:
        console.print(f"  ... and {report.failed - 20} more")


@app.command("export")
def export_file(
    queue: Annotated[str | None, typer.Option(help="Only this queue's tickets")] = None,
    format_: Annotated[str | None, typer.Option("--format", help="csv, json or xlsx (default: "
                                                "from the --output extension, else csv)")]
    = None,
    output: Annotated[Path | None, typer.Option(dir_okay=False, help="File to write (default: "
                                                "standard output)")] = None,
    status: Annotated[list[str] | None, typer.Option(help="Only tickets in this status "
                                                     "(repeatable)")] = None,
    user: Annotated[str | None, typer.Option(help="Export what this user may see (default: "
                                             "the admin)")] = None,
) -> None:
    """Export tickets as CSV, JSON or XLSX, streamed in batches (formulas neutralised)."""
    import sys
    from contextlib import nullcontext

    from ticketry.cli.bootstrap import bootstrap
    from ticketry.domain.errors import DomainError
    from ticketry.domain.reports.schemas import EXPORT_FORMATS
    from ticketry.domain.reports.service import export_tickets
    from ticketry.domain.tickets.schemas import TicketFilters
    from ticketry.domain.users.service import get_user_by_username

    suffix = output.suffix.lower().lstrip(".") if output else ""
    fmt = (format_ or (suffix if suffix in EXPORT_FORMATS else "csv")).lower()
    if fmt not in EXPORT_FORMATS:
        console.print(f"[red]--format must be one of {', '.join(EXPORT_FORMATS)}[/red]")
        raise typer.Exit(2)
    # With the data on standard output, messages go to standard error.
    messages = Console(stderr=True, soft_wrap=True)
    settings = get_settings()
    database = _database()
    bootstrap(database, settings)
    partial = output.with_name(output.name + ".part") if output else None
    written = 0
    try:
        with database.unit_of_work(write=False) as session:
            actor = get_user_by_username(session, user or settings.admin_username)
            if actor is None:
                messages.print(f"[red]no user {user or settings.admin_username!r}[/red]")
                raise typer.Exit(1)
            statuses = [s.strip() for value in status or [] for s in value.split(",") if s.strip()]
            export = export_tickets(session, actor=actor, format=fmt,
                                    filters=TicketFilters(queue=queue, status=statuses))
            # A file appears under its name only once complete.
            with partial.open("wb") if partial else nullcontext(sys.stdout.buffer) as sink:
                for chunk in export.chunks:
                    sink.write(chunk)
                    written += len(chunk)
                sink.flush()
        if output and partial:
            partial.replace(output)
    except DomainError as exc:
        messages.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
        database.dispose()
    if output:
        messages.print(f"exported tickets to {output} ({written} bytes, {fmt})")


if __name__ == "__main__":
    app()
