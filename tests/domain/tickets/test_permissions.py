"""The document's Permission Model, role by role, through the ticket, comment, attachment and
user services. Another user's ticket an end user may not see is reported as missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_ticket, make_user, stage_file
from ticketry.domain.attachments import service as attachments
from ticketry.domain.attachments.storage import LocalStorage, StagedUpload
from ticketry.domain.comments import service as comments
from ticketry.domain.comments.errors import CommentNotFound
from ticketry.domain.comments.models import Comment
from ticketry.domain.comments.schemas import CommentCreate, CommentUpdate
from ticketry.domain.errors import PermissionDenied, ValidationFailed
from ticketry.domain.tickets import permissions, service
from ticketry.domain.tickets.errors import TicketNotFound
from ticketry.domain.tickets.models import Ticket
from ticketry.domain.tickets.schemas import TicketCreate, TicketFilters, TicketPatch
from ticketry.domain.users import service as users
from ticketry.domain.users.models import Role, Team, User
from ticketry.domain.users.schemas import UserCreate, UserUpdate

NOTES = "Freed 40 GB of old build caches."


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "attachments")


@pytest.fixture
def upload(storage: LocalStorage) -> Iterator[StagedUpload]:
    staged = stage_file(storage, "df-output.txt", b"/dev/sda1  100G  100G  0  100% /\n")
    yield staged
    staged.discard()


def assign(session: Session, ticket: Ticket, to: User) -> Ticket:
    """Arrange: the ticket is assigned to `to` (no permission check involved)."""
    ticket.assignee_id = to.id
    ticket.assignee = to
    session.flush()
    return ticket


def comment(session: Session, actor: User, ticket: Ticket, *, internal: bool = False) -> Comment:
    return comments.add_comment(session, actor=actor, ticket_id=ticket.public_id,
                                data=CommentCreate(content="Looking into it.",
                                                   is_internal=internal))[0]


# --------------------------------------------------------------------------- End User


class TestEndUser:
    def test_creates_tickets(self, session: Session, requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert ticket.requester_id == requester.id

    def test_cannot_file_a_ticket_on_behalf_of_someone_else(self, session: Session,
                                                            requester: User,
                                                            other_end_user: User) -> None:
        with pytest.raises(PermissionDenied):
            service.create_ticket(session, actor=requester, data=TicketCreate(
                title="Printer jam", description="Tray 2.", requester_id=other_end_user.public_id))

    def test_views_own_tickets(self, session: Session, requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert permissions.can_view(requester, ticket)
        assert service.get_ticket(session, actor=requester,
                                  ticket_id=ticket.public_id).id == ticket.id
        assert service.get_ticket_by_key(session, actor=requester, key=ticket.key).id == ticket.id

    def test_does_not_see_other_users_tickets(self, session: Session, requester: User,
                                              other_end_user: User) -> None:
        ticket = make_ticket(session, other_end_user)

        assert not permissions.can_view(requester, ticket)
        with pytest.raises(TicketNotFound):
            service.get_ticket(session, actor=requester, ticket_id=ticket.public_id)
        with pytest.raises(TicketNotFound):
            service.get_ticket_by_key(session, actor=requester, key=ticket.key)
        with pytest.raises(TicketNotFound):
            service.list_history(session, actor=requester, ticket_id=ticket.public_id)

    def test_lists_only_own_tickets(self, session: Session, requester: User,
                                    other_end_user: User) -> None:
        own = make_ticket(session, requester)
        make_ticket(session, other_end_user)

        listed = service.list_tickets(session, actor=requester, filters=TicketFilters())

        assert [t.id for t in listed.items] == [own.id]
        assert listed.total == 1

    def test_cannot_change_other_users_tickets_which_look_missing(
            self, session: Session, requester: User, other_end_user: User) -> None:
        ticket = make_ticket(session, other_end_user)
        calls = [
            lambda: service.update_ticket(session, actor=requester, ticket_id=ticket.public_id,
                                          data=TicketPatch(title="Mine now")),
            lambda: service.change_status(session, actor=requester, ticket_id=ticket.public_id,
                                          status="OPEN"),
            lambda: service.reopen_ticket(session, actor=requester, ticket_id=ticket.public_id),
        ]
        for call in calls:
            with pytest.raises(TicketNotFound):
                call()

    def test_cannot_edit_even_own_tickets(self, session: Session, requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert not permissions.can_edit(requester, ticket)
        with pytest.raises(PermissionDenied):
            service.update_ticket(session, actor=requester, ticket_id=ticket.public_id,
                                  data=TicketPatch(title="Edited"))
        with pytest.raises(PermissionDenied):
            service.change_status(session, actor=requester, ticket_id=ticket.public_id,
                                  status="OPEN")
        assert ticket.title == "Disk full on build agent"

    def test_cannot_assign_resolve_close_or_delete(self, session: Session, requester: User,
                                                   engineer: User) -> None:
        ticket = make_ticket(session, requester)

        assert not permissions.can_assign(requester, ticket, engineer)
        with pytest.raises(PermissionDenied):
            service.assign_ticket(session, actor=requester, ticket_id=ticket.public_id,
                                  assignee_id=engineer.public_id)
        with pytest.raises(PermissionDenied):
            service.resolve_ticket(session, actor=requester, ticket_id=ticket.public_id,
                                   resolution_notes=NOTES)
        with pytest.raises(PermissionDenied):
            service.close_ticket(session, actor=requester, ticket_id=ticket.public_id)
        with pytest.raises(PermissionDenied):
            service.delete_ticket(session, actor=requester, ticket_id=ticket.public_id)
        assert (ticket.status, ticket.assignee_id, ticket.deleted_at) == ("NEW", None, None)

    def test_reopens_own_resolved_ticket(self, session: Session, requester: User,
                                         manager: User) -> None:
        ticket = make_ticket(session, requester)
        service.change_status(session, actor=manager, ticket_id=ticket.public_id,
                              status="OPEN")
        service.resolve_ticket(session, actor=manager, ticket_id=ticket.public_id,
                               resolution_notes=NOTES)

        assert service.reopen_ticket(session, actor=requester,
                                     ticket_id=ticket.public_id).status == "REOPENED"

    def test_comments_on_own_tickets(self, session: Session, requester: User) -> None:
        ticket = make_ticket(session, requester)

        added = comment(session, requester, ticket)

        assert added.author_id == requester.id
        listed, _ = comments.list_comments(session, actor=requester, ticket_id=ticket.public_id)
        assert [c.id for c in listed] == [added.id]

    def test_cannot_comment_on_other_users_tickets(self, session: Session, requester: User,
                                                   other_end_user: User) -> None:
        ticket = make_ticket(session, other_end_user)

        with pytest.raises(TicketNotFound):
            comment(session, requester, ticket)
        with pytest.raises(TicketNotFound):
            comments.list_comments(session, actor=requester, ticket_id=ticket.public_id)

    def test_cannot_write_internal_comments(self, session: Session, requester: User) -> None:
        ticket = make_ticket(session, requester)

        with pytest.raises(PermissionDenied):
            comment(session, requester, ticket, internal=True)

    def test_does_not_see_internal_comments(self, session: Session, requester: User,
                                            engineer: User) -> None:
        ticket = make_ticket(session, requester)
        public = comment(session, engineer, ticket)
        internal = comment(session, engineer, ticket, internal=True)

        listed, _ = comments.list_comments(session, actor=requester, ticket_id=ticket.public_id)

        assert [c.id for c in listed] == [public.id]
        with pytest.raises(CommentNotFound):
            comments.get_comment(session, actor=requester, comment_id=internal.public_id)

    def test_uploads_attachments_to_own_tickets(self, session: Session, requester: User,
                                                storage: LocalStorage,
                                                upload: StagedUpload) -> None:
        ticket = make_ticket(session, requester)

        attachment, _ = attachments.add_attachment(session, actor=requester,
                                                   ticket_id=ticket.public_id, staged=upload,
                                                   storage=storage)

        assert attachment.uploader_id == requester.id
        assert storage.exists(attachment.storage_key)

    def test_cannot_upload_to_other_users_tickets(self, session: Session, requester: User,
                                                  other_end_user: User, storage: LocalStorage,
                                                  upload: StagedUpload) -> None:
        ticket = make_ticket(session, other_end_user)

        with pytest.raises(TicketNotFound):
            attachments.ticket_for_upload(session, actor=requester, ticket_id=ticket.public_id)
        with pytest.raises(TicketNotFound):
            attachments.add_attachment(session, actor=requester, ticket_id=ticket.public_id,
                                       staged=upload, storage=storage)

    def test_cannot_upload_internal_attachments(self, session: Session, requester: User,
                                                storage: LocalStorage,
                                                upload: StagedUpload) -> None:
        ticket = make_ticket(session, requester)

        with pytest.raises(PermissionDenied):
            attachments.add_attachment(session, actor=requester, ticket_id=ticket.public_id,
                                       staged=upload, storage=storage, is_internal=True)


# --------------------------------------------------------------------------- DevOps Engineer


class TestEngineer:
    def test_views_all_tickets(self, session: Session, engineer: User, requester: User,
                               other_end_user: User) -> None:
        tickets = [make_ticket(session, requester), make_ticket(session, other_end_user)]

        listed = service.list_tickets(session, actor=engineer, filters=TicketFilters())

        assert {t.id for t in listed.items} == {t.id for t in tickets}
        for ticket in tickets:
            assert permissions.can_view(engineer, ticket)
            service.get_ticket(session, actor=engineer, ticket_id=ticket.public_id)

    def test_edits_tickets_assigned_to_them(self, session: Session, engineer: User,
                                            requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), engineer)

        assert permissions.can_edit(engineer, ticket)
        service.update_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                              data=TicketPatch(title="Disk full on build agent 7",
                                               priority="P2"))
        assert (ticket.title, ticket.priority) == ("Disk full on build agent 7", "P2")

    def test_cannot_edit_tickets_not_assigned_to_them(self, session: Session, engineer: User,
                                                      other_engineer: User,
                                                      requester: User) -> None:
        unassigned = make_ticket(session, requester)
        someone_elses = assign(session, make_ticket(session, requester), other_engineer)

        for ticket in (unassigned, someone_elses):
            assert not permissions.can_edit(engineer, ticket)
            with pytest.raises(PermissionDenied):
                service.update_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                                      data=TicketPatch(title="Edited"))
            with pytest.raises(PermissionDenied):
                service.change_status(session, actor=engineer, ticket_id=ticket.public_id,
                                      status="IN_PROGRESS")
            assert ticket.title == "Disk full on build agent"

    def test_assigns_unassigned_tickets_to_themselves(self, session: Session, engineer: User,
                                                     requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert permissions.can_assign(engineer, ticket, engineer)
        service.assign_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                              assignee_id=engineer.public_id)
        assert ticket.assignee_id == engineer.id

    def test_lets_go_of_their_own_ticket(self, session: Session, engineer: User,
                                         requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), engineer)

        service.assign_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                              assignee_id=None)

        assert ticket.assignee_id is None

    def test_cannot_assign_tickets_to_others(self, session: Session, engineer: User,
                                             other_engineer: User, requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert not permissions.can_assign(engineer, ticket, other_engineer)
        with pytest.raises(PermissionDenied):
            service.assign_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                                  assignee_id=other_engineer.public_id)
        assert ticket.assignee_id is None

    def test_cannot_take_a_ticket_assigned_to_someone_else(self, session: Session,
                                                           engineer: User,
                                                           other_engineer: User,
                                                           requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), other_engineer)

        with pytest.raises(PermissionDenied):
            service.assign_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                                  assignee_id=engineer.public_id)
        with pytest.raises(PermissionDenied):
            service.assign_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                                  assignee_id=None)
        assert ticket.assignee_id == other_engineer.id

    def test_writes_internal_comments(self, session: Session, engineer: User,
                                      requester: User) -> None:
        ticket = make_ticket(session, requester)

        note = comment(session, engineer, ticket, internal=True)

        assert note.is_internal

    def test_resolves_and_closes_tickets_assigned_to_them(self, session: Session,
                                                          engineer: User,
                                                          requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), engineer)
        service.change_status(session, actor=engineer, ticket_id=ticket.public_id,
                              status="IN_PROGRESS")

        service.resolve_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                               resolution_notes=NOTES)
        assert ticket.status == "RESOLVED"
        service.close_ticket(session, actor=engineer, ticket_id=ticket.public_id)
        assert ticket.status == "CLOSED"

    def test_cannot_resolve_or_close_someone_elses_ticket(self, session: Session,
                                                          engineer: User, other_engineer: User,
                                                          requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), other_engineer)

        with pytest.raises(PermissionDenied):
            service.resolve_ticket(session, actor=engineer, ticket_id=ticket.public_id,
                                   resolution_notes=NOTES)
        with pytest.raises(PermissionDenied):
            service.close_ticket(session, actor=engineer, ticket_id=ticket.public_id)
        assert ticket.status == "NEW"

    def test_cannot_delete_tickets(self, session: Session, engineer: User,
                                   requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), engineer)

        with pytest.raises(PermissionDenied):
            service.delete_ticket(session, actor=engineer, ticket_id=ticket.public_id)
        assert ticket.deleted_at is None

    def test_edits_and_deletes_own_comments_only(self, session: Session, engineer: User,
                                                 other_engineer: User,
                                                 requester: User) -> None:
        ticket = make_ticket(session, requester)
        mine = comment(session, engineer, ticket)
        theirs = comment(session, other_engineer, ticket)

        comments.update_comment(session, actor=engineer, comment_id=mine.public_id,
                                data=CommentUpdate(content="Found the cause."))
        with pytest.raises(PermissionDenied):
            comments.update_comment(session, actor=engineer, comment_id=theirs.public_id,
                                    data=CommentUpdate(content="Rewritten"))
        with pytest.raises(PermissionDenied):
            comments.delete_comment(session, actor=engineer, comment_id=theirs.public_id)
        comments.delete_comment(session, actor=engineer, comment_id=mine.public_id)

        listed, _ = comments.list_comments(session, actor=engineer, ticket_id=ticket.public_id)
        assert [(c.id, c.content) for c in listed] == [(theirs.id, "Looking into it.")]

    def test_cannot_delete_someone_elses_attachment(self, session: Session, engineer: User,
                                                    requester: User, storage: LocalStorage,
                                                    upload: StagedUpload) -> None:
        ticket = make_ticket(session, requester)
        attachment, _ = attachments.add_attachment(session, actor=requester,
                                                   ticket_id=ticket.public_id, staged=upload,
                                                   storage=storage)

        with pytest.raises(PermissionDenied):
            attachments.delete_attachment(session, actor=engineer,
                                          attachment_id=attachment.public_id)

    def test_cannot_manage_users(self, session: Session, engineer: User,
                                 requester: User) -> None:
        with pytest.raises(PermissionDenied):
            users.create_user(session, actor=engineer, data=UserCreate(
                username="newbie", email="newbie@example.com", password="long-enough-pw"))
        with pytest.raises(PermissionDenied):
            users.update_user(session, actor=engineer, user_id=requester.public_id,
                              data=UserUpdate(role=Role.ADMIN))
        assert requester.role == Role.END_USER


# --------------------------------------------------------------------------- Team Lead


class TestTeamLead:
    def test_assigns_tickets_to_team_members(self, session: Session, lead: User,
                                             engineer: User, requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert permissions.can_assign(lead, ticket, engineer)
        service.assign_ticket(session, actor=lead, ticket_id=ticket.public_id,
                              assignee_id=engineer.public_id)
        assert ticket.assignee_id == engineer.id

    def test_reassigns_within_the_team(self, session: Session, lead: User, engineer: User,
                                       team: Team, requester: User) -> None:
        teammate = make_user(session, Role.DEVOPS_ENGINEER, team=team)
        ticket = assign(session, make_ticket(session, requester), engineer)

        service.assign_ticket(session, actor=lead, ticket_id=ticket.public_id,
                              assignee_id=teammate.public_id)

        assert ticket.assignee_id == teammate.id

    def test_cannot_assign_to_people_outside_the_team(self, session: Session, lead: User,
                                                      other_engineer: User,
                                                      requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert not permissions.can_assign(lead, ticket, other_engineer)
        with pytest.raises(PermissionDenied):
            service.assign_ticket(session, actor=lead, ticket_id=ticket.public_id,
                                  assignee_id=other_engineer.public_id)

    def test_cannot_take_another_teams_ticket(self, session: Session, lead: User,
                                              other_engineer: User, requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), other_engineer)

        with pytest.raises(PermissionDenied):
            service.assign_ticket(session, actor=lead, ticket_id=ticket.public_id,
                                  assignee_id=lead.public_id)
        assert ticket.assignee_id == other_engineer.id

    def test_edits_team_tickets(self, session: Session, lead: User, engineer: User,
                                team: Team, requester: User) -> None:
        of_the_team = make_ticket(session, requester, team_id=team.public_id)
        of_a_member = assign(session, make_ticket(session, requester), engineer)

        for ticket in (of_the_team, of_a_member):
            assert permissions.can_edit(lead, ticket)
            service.update_ticket(session, actor=lead, ticket_id=ticket.public_id,
                                  data=TicketPatch(priority="P1"))
            service.change_status(session, actor=lead, ticket_id=ticket.public_id,
                                  status="IN_PROGRESS")
            assert (ticket.priority, ticket.status) == ("P1", "IN_PROGRESS")

    def test_cannot_edit_other_teams_tickets(self, session: Session, lead: User,
                                             other_team: Team, other_engineer: User,
                                             requester: User) -> None:
        of_the_team = make_ticket(session, requester, team_id=other_team.public_id)
        of_a_member = assign(session, make_ticket(session, requester), other_engineer)

        for ticket in (of_the_team, of_a_member):
            assert not permissions.can_edit(lead, ticket)
            with pytest.raises(PermissionDenied):
                service.update_ticket(session, actor=lead, ticket_id=ticket.public_id,
                                      data=TicketPatch(priority="P1"))

    def test_cannot_delete_tickets(self, session: Session, lead: User, team: Team,
                                   requester: User) -> None:
        ticket = make_ticket(session, requester, team_id=team.public_id)

        with pytest.raises(PermissionDenied):
            service.delete_ticket(session, actor=lead, ticket_id=ticket.public_id)


# --------------------------------------------------------------------------- Manager


class TestManager:
    def test_edits_any_ticket(self, session: Session, manager: User, other_engineer: User,
                              requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), other_engineer)

        assert permissions.can_edit(manager, ticket)
        service.update_ticket(session, actor=manager, ticket_id=ticket.public_id,
                              data=TicketPatch(title="Edited by the manager"))
        assert ticket.title == "Edited by the manager"

    def test_reassigns_any_ticket(self, session: Session, manager: User, engineer: User,
                                  other_engineer: User, requester: User) -> None:
        ticket = assign(session, make_ticket(session, requester), other_engineer)

        service.assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                              assignee_id=engineer.public_id)

        assert ticket.assignee_id == engineer.id

    def test_assigns_only_to_active_agents(self, session: Session, manager: User,
                                           engineer: User, requester: User) -> None:
        ticket = make_ticket(session, requester)
        engineer.is_active = False
        session.flush()

        for assignee in (requester, engineer):
            with pytest.raises(ValidationFailed) as refused:
                service.assign_ticket(session, actor=manager, ticket_id=ticket.public_id,
                                      assignee_id=assignee.public_id)
            assert refused.value.context["field"] == "assignee_id"
        assert ticket.assignee_id is None

    def test_cannot_delete_tickets_or_manage_users(self, session: Session, manager: User,
                                                   requester: User) -> None:
        ticket = make_ticket(session, requester)

        with pytest.raises(PermissionDenied):
            service.delete_ticket(session, actor=manager, ticket_id=ticket.public_id)
        with pytest.raises(PermissionDenied):
            users.delete_user(session, actor=manager, user_id=requester.public_id)


# --------------------------------------------------------------------------- Admin


class TestAdmin:
    def test_deletes_tickets(self, session: Session, admin: User, requester: User) -> None:
        ticket = make_ticket(session, requester)

        assert permissions.can_delete(admin)
        service.delete_ticket(session, actor=admin, ticket_id=ticket.public_id)

        assert ticket.deleted_at is not None

    def test_deletes_anyones_comments(self, session: Session, admin: User, engineer: User,
                                      requester: User) -> None:
        ticket = make_ticket(session, requester)
        theirs = comment(session, engineer, ticket)

        comments.delete_comment(session, actor=admin, comment_id=theirs.public_id)

        listed, _ = comments.list_comments(session, actor=admin, ticket_id=ticket.public_id)
        assert listed == []

    def test_deletes_anyones_attachments(self, session: Session, admin: User, requester: User,
                                         storage: LocalStorage, upload: StagedUpload) -> None:
        ticket = make_ticket(session, requester)
        attachment, _ = attachments.add_attachment(session, actor=requester,
                                                   ticket_id=ticket.public_id, staged=upload,
                                                   storage=storage)

        key = attachments.delete_attachment(session, actor=admin,
                                            attachment_id=attachment.public_id)

        assert key == attachment.storage_key
        listed, _ = attachments.list_attachments(session, actor=admin, ticket_id=ticket.public_id)
        assert listed == []

    def test_edits_assigns_and_moves_any_ticket(self, session: Session, admin: User,
                                                engineer: User, requester: User) -> None:
        ticket = make_ticket(session, requester)

        service.update_ticket(session, actor=admin, ticket_id=ticket.public_id,
                              data=TicketPatch(priority="P2"))
        service.assign_ticket(session, actor=admin, ticket_id=ticket.public_id,
                              assignee_id=engineer.public_id)
        service.change_status(session, actor=admin, ticket_id=ticket.public_id, status="OPEN")

        assert (ticket.priority, ticket.assignee_id, ticket.status) == ("P2", engineer.id, "OPEN")

    def test_manages_users(self, session: Session, admin: User, requester: User) -> None:
        created = users.create_user(session, actor=admin, data=UserCreate(
            username="newbie", email="newbie@example.com", password="long-enough-pw",
            role=Role.DEVOPS_ENGINEER))
        users.update_user(session, actor=admin, user_id=requester.public_id,
                          data=UserUpdate(role=Role.TEAM_LEAD))

        assert created.role == Role.DEVOPS_ENGINEER
        assert requester.role == Role.TEAM_LEAD
        assert users.delete_user(session, actor=admin, user_id=created.public_id) is True
