"""Authentication: login, refresh-token rotation with reuse detection, logout, and the access
token that stops working as soon as its session ends or its account is deactivated."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, make_user
from ticketry.config import Settings
from ticketry.domain.auth import service
from ticketry.domain.auth.errors import InvalidCredentials, InvalidToken, TokenReused
from ticketry.domain.users.models import Role, User


@pytest.fixture
def user(session: Session) -> User:
    return make_user(session, Role.DEVOPS_ENGINEER, username="jdoe")


def login(session: Session, settings: Settings, username: str = "jdoe",
          password: str = PASSWORD) -> service.IssuedTokens:
    return service.login(session, settings=settings, username=username, password=password)


def authenticate(session: Session, settings: Settings, token: str) -> User:
    return service.authenticate_access_token(session, settings=settings, token=token).user


def test_login_issues_tokens_that_authenticate_the_user(session: Session, settings: Settings,
                                                        user: User) -> None:
    issued = login(session, settings)

    assert issued.user.id == user.id
    assert issued.expires_in == settings.access_token_minutes * 60
    assert authenticate(session, settings, issued.access_token).id == user.id
    assert user.last_login_at is not None


def test_the_username_is_not_case_sensitive(session: Session, settings: Settings,
                                            user: User) -> None:
    assert login(session, settings, username="JDoe").user.id == user.id


def test_a_wrong_password_and_an_unknown_user_are_refused_alike(session: Session,
                                                                settings: Settings,
                                                                user: User) -> None:
    with pytest.raises(InvalidCredentials) as wrong_password:
        login(session, settings, password="not-the-password")
    with pytest.raises(InvalidCredentials) as unknown_user:
        login(session, settings, username="nobody")

    assert str(wrong_password.value) == str(unknown_user.value)
    assert wrong_password.value.code == unknown_user.value.code == "INVALID_CREDENTIALS"


def test_a_deactivated_user_cannot_log_in(session: Session, settings: Settings,
                                          user: User) -> None:
    user.is_active = False
    session.flush()

    with pytest.raises(InvalidCredentials):
        login(session, settings)


def test_refresh_rotates_both_tokens(session: Session, settings: Settings, user: User) -> None:
    first = login(session, settings)

    second = service.refresh_tokens(session, settings=settings, refresh_token=first.refresh_token)

    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert authenticate(session, settings, second.access_token).id == user.id
    third = service.refresh_tokens(session, settings=settings, refresh_token=second.refresh_token)
    assert authenticate(session, settings, third.access_token).id == user.id


def test_reusing_a_rotated_refresh_token_ends_the_whole_session(session: Session,
                                                                settings: Settings,
                                                                user: User) -> None:
    first = login(session, settings)
    second = service.refresh_tokens(session, settings=settings, refresh_token=first.refresh_token)

    with pytest.raises(TokenReused) as refused:
        service.refresh_tokens(session, settings=settings, refresh_token=first.refresh_token)
    # The request fails, yet its caller must keep (commit) the revocation, not roll it back.
    assert refused.value.keeps_changes
    session.commit()

    for token in (first.access_token, second.access_token):
        with pytest.raises(InvalidToken):
            authenticate(session, settings, token)
    with pytest.raises(InvalidToken):
        service.refresh_tokens(session, settings=settings, refresh_token=second.refresh_token)


def test_reuse_ends_only_that_session(session: Session, settings: Settings, user: User) -> None:
    stolen = login(session, settings)
    elsewhere = login(session, settings)
    service.refresh_tokens(session, settings=settings, refresh_token=stolen.refresh_token)

    with pytest.raises(TokenReused):
        service.refresh_tokens(session, settings=settings, refresh_token=stolen.refresh_token)

    assert authenticate(session, settings, elsewhere.access_token).id == user.id


def test_logout_ends_the_session(session: Session, settings: Settings, user: User) -> None:
    issued = login(session, settings)
    auth = service.authenticate_access_token(session, settings=settings,
                                             token=issued.access_token)

    service.logout(session, actor_session_id=auth.session_id, settings=settings)

    with pytest.raises(InvalidToken):
        authenticate(session, settings, issued.access_token)
    with pytest.raises(InvalidToken):
        service.refresh_tokens(session, settings=settings, refresh_token=issued.refresh_token)


def test_logout_with_a_refresh_token_ends_that_session_too(session: Session,
                                                           settings: Settings,
                                                           user: User) -> None:
    here = login(session, settings)
    there = login(session, settings)
    auth = service.authenticate_access_token(session, settings=settings, token=here.access_token)

    service.logout(session, actor_session_id=auth.session_id, settings=settings,
                   refresh_token=there.refresh_token)

    for token in (here.access_token, there.access_token):
        with pytest.raises(InvalidToken):
            authenticate(session, settings, token)


def test_logout_leaves_other_sessions_alone(session: Session, settings: Settings,
                                            user: User) -> None:
    here = login(session, settings)
    there = login(session, settings)
    auth = service.authenticate_access_token(session, settings=settings, token=here.access_token)

    service.logout(session, actor_session_id=auth.session_id, settings=settings)

    assert authenticate(session, settings, there.access_token).id == user.id


def test_a_deactivated_users_tokens_are_refused(session: Session, settings: Settings,
                                                user: User) -> None:
    issued = login(session, settings)

    user.is_active = False
    session.flush()

    with pytest.raises(InvalidToken):
        authenticate(session, settings, issued.access_token)
    with pytest.raises(InvalidToken):
        service.refresh_tokens(session, settings=settings, refresh_token=issued.refresh_token)


def test_tokens_are_not_interchangeable(session: Session, settings: Settings,
                                        user: User) -> None:
    issued = login(session, settings)

    with pytest.raises(InvalidToken):
        authenticate(session, settings, issued.refresh_token)
    with pytest.raises(InvalidToken):
        service.refresh_tokens(session, settings=settings, refresh_token=issued.access_token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_a_malformed_token_is_refused(session: Session, settings: Settings, token: str) -> None:
    with pytest.raises(InvalidToken):
        authenticate(session, settings, token)


def test_a_token_signed_with_another_key_is_refused(session: Session, settings: Settings,
                                                    user: User) -> None:
    other = settings.model_copy(update={"secret_key": "another-secret-key-that-is-long-enough-42"})
    forged = login(session, other)

    with pytest.raises(InvalidToken):
        authenticate(session, settings, forged.access_token)


def test_an_expired_access_token_is_refused(session: Session, settings: Settings,
                                            user: User) -> None:
    expired = login(session, settings.model_copy(update={"access_token_minutes": -1}))

    with pytest.raises(InvalidToken):
        authenticate(session, settings, expired.access_token)
