"""Users: unique usernames and e-mails (whatever their case), administrators manage them, a user
that tickets or history refer to is deactivated rather than deleted, and the first admin."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_ticket, make_user
from ticketry.domain.auth.passwords import verify_password
from ticketry.domain.errors import PermissionDenied
from ticketry.domain.tickets.service import change_status
from ticketry.domain.users import service
from ticketry.domain.users.errors import UserAlreadyExists, UserNotFound
from ticketry.domain.users.models import Role, User
from ticketry.domain.users.schemas import UserCreate, UserUpdate


def new_user(username: str = "newbie", email: str = "newbie@example.com",
             role: Role = Role.END_USER) -> UserCreate:
    return UserCreate(username=username, email=email, password="long-enough-pw", role=role,
                      full_name="New Bie")


def user_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


# --------------------------------------------------------------------------- create


def test_an_admin_creates_a_user_with_a_hashed_password(session: Session, admin: User) -> None:
    user = service.create_user(session, actor=admin, data=new_user(role=Role.DEVOPS_ENGINEER))

    assert (user.username, user.email, user.role, user.is_active) == (
        "newbie", "newbie@example.com", "DEVOPS_ENGINEER", True)
    assert user.password_hash != "long-enough-pw"
    assert verify_password(user.password_hash, "long-enough-pw")


def test_emails_are_stored_in_lower_case(session: Session, admin: User) -> None:
    user = service.create_user(session, actor=admin, data=new_user(email="New.Bie@Example.COM"))

    assert user.email == "new.bie@example.com"


@pytest.mark.parametrize("username", ["jdoe", "JDOE", "JDoe"])
def test_a_username_taken_in_any_case_is_refused(session: Session, admin: User,
                                                 username: str) -> None:
    make_user(session, username="jdoe")
    before = user_count(session)

    with pytest.raises(UserAlreadyExists) as refused:
        service.create_user(session, actor=admin, data=new_user(username=username))

    assert refused.value.context["field"] == "username"
    assert user_count(session) == before


@pytest.mark.parametrize("email", ["jdoe@example.com", "JDoe@Example.com"])
def test_an_email_taken_in_any_case_is_refused(session: Session, admin: User,
                                               email: str) -> None:
    make_user(session, username="jdoe", email="jdoe@example.com")
    before = user_count(session)

    with pytest.raises(UserAlreadyExists) as refused:
        service.create_user(session, actor=admin, data=new_user(email=email))

    assert refused.value.context["field"] == "email"
    assert user_count(session) == before


def test_changing_an_email_to_one_already_taken_is_refused(session: Session,
                                                           admin: User) -> None:
    make_user(session, username="jdoe", email="jdoe@example.com")
    other = make_user(session, username="asmith", email="asmith@example.com")

    with pytest.raises(UserAlreadyExists):
        service.update_user(session, actor=admin, user_id=other.public_id,
                            data=UserUpdate(email="JDOE@example.com"))

    assert other.email == "asmith@example.com"


def test_keeping_ones_own_email_is_not_a_clash(session: Session, admin: User) -> None:
    user = make_user(session, username="jdoe", email="jdoe@example.com")

    service.update_user(session, actor=admin, user_id=user.public_id,
                        data=UserUpdate(email="JDoe@example.com", full_name="J. Doe"))

    assert (user.email, user.full_name) == ("jdoe@example.com", "J. Doe")


# --------------------------------------------------------------------------- only admins


@pytest.mark.parametrize("role", [Role.END_USER, Role.DEVOPS_ENGINEER, Role.TEAM_LEAD,
                                  Role.MANAGER])
def test_only_administrators_manage_users(session: Session, role: Role) -> None:
    actor = make_user(session, role)
    target = make_user(session, Role.END_USER)
    before = user_count(session)

    with pytest.raises(PermissionDenied):
        service.create_user(session, actor=actor, data=new_user())
    with pytest.raises(PermissionDenied):
        service.update_user(session, actor=actor, user_id=target.public_id,
                            data=UserUpdate(role=Role.ADMIN))
    with pytest.raises(PermissionDenied):
        service.delete_user(session, actor=actor, user_id=target.public_id)

    assert user_count(session) == before
    assert (target.role, target.is_active) == ("END_USER", True)


def test_an_admin_cannot_demote_deactivate_or_delete_themselves(session: Session,
                                                               admin: User) -> None:
    with pytest.raises(PermissionDenied):
        service.update_user(session, actor=admin, user_id=admin.public_id,
                            data=UserUpdate(role=Role.MANAGER))
    with pytest.raises(PermissionDenied):
        service.update_user(session, actor=admin, user_id=admin.public_id,
                            data=UserUpdate(is_active=False))
    with pytest.raises(PermissionDenied):
        service.delete_user(session, actor=admin, user_id=admin.public_id)

    assert (admin.role, admin.is_active) == ("ADMIN", True)


def test_end_users_see_only_their_own_account(session: Session, requester: User,
                                              other_end_user: User) -> None:
    assert service.get_user(session, actor=requester, user_id=requester.public_id).id == \
        requester.id
    with pytest.raises(PermissionDenied):
        service.get_user(session, actor=requester, user_id=other_end_user.public_id)
    with pytest.raises(PermissionDenied):
        service.list_users(session, actor=requester, page=1, size=20)


# --------------------------------------------------------------------------- delete


def test_a_user_nobody_refers_to_is_deleted(session: Session, admin: User) -> None:
    user = service.create_user(session, actor=admin, data=new_user())

    assert service.delete_user(session, actor=admin, user_id=user.public_id) is True

    with pytest.raises(UserNotFound):
        service.get_user(session, actor=admin, user_id=user.public_id)


def test_a_user_tickets_refer_to_is_deactivated_instead(session: Session, admin: User,
                                                        requester: User) -> None:
    ticket = make_ticket(session, requester)
    before = user_count(session)

    assert service.delete_user(session, actor=admin, user_id=requester.public_id) is False

    assert user_count(session) == before
    kept = service.get_user(session, actor=admin, user_id=requester.public_id)
    assert kept.is_active is False
    assert ticket.requester_id == kept.id


def test_an_agent_with_history_is_deactivated_instead(session: Session, admin: User,
                                                      manager: User, requester: User) -> None:
    ticket = make_ticket(session, requester)
    change_status(session, actor=manager, ticket_id=ticket.public_id, status="OPEN")

    assert service.delete_user(session, actor=admin, user_id=manager.public_id) is False
    assert manager.is_active is False


def test_deleting_an_unknown_user_is_not_found(session: Session, admin: User) -> None:
    with pytest.raises(UserNotFound):
        service.delete_user(session, actor=admin, user_id=uuid.uuid4())


# --------------------------------------------------------------------------- first admin


def test_first_start_creates_the_admin_with_the_given_password(session: Session) -> None:
    assert user_count(session) == 0

    result = service.ensure_admin(session, username="root", email="root@example.com",
                                  password="s3cret-password")

    assert result is not None
    assert (result.username, result.password) == ("root", None)  # nothing to print
    admin = service.get_user_by_username(session, "root")
    assert admin is not None
    assert admin.role == "ADMIN"
    assert verify_password(admin.password_hash, "s3cret-password")


def test_first_start_without_a_password_generates_one_to_print(session: Session) -> None:
    result = service.ensure_admin(session, username="root", email="root@example.com",
                                  password=None)

    assert result is not None
    assert result.password
    assert len(result.password) >= 12
    admin = service.get_user_by_username(session, "root")
    assert admin is not None
    assert verify_password(admin.password_hash, result.password)


def test_no_admin_is_created_once_any_user_exists(session: Session) -> None:
    make_user(session, Role.END_USER)

    assert service.ensure_admin(session, username="root", email="root@example.com",
                                password="s3cret-password") is None
    assert service.get_user_by_username(session, "root") is None
    assert user_count(session) == 1


def test_a_second_start_creates_nothing(session: Session) -> None:
    service.ensure_admin(session, username="root", email="root@example.com", password=None)

    assert service.ensure_admin(session, username="root2", email="root2@example.com",
                                password=None) is None
    assert user_count(session) == 1
