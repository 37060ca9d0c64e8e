"""Comments carry their attachments; internal notes keep theirs from end users."""

from __future__ import annotations

from tests.factories import login, make_ticket, make_user
from ticketry.domain.users.models import Role


def test_a_file_attached_to_a_comment_is_listed_with_it(client, session) -> None:  # type: ignore[no-untyped-def]
    requester = make_user(session, Role.END_USER)
    agent = make_user(session, Role.MANAGER)
    ticket = make_ticket(session, requester)
    session.commit()
    agent_h, user_h = login(client, agent), login(client, requester)

    note = client.post(f"/api/v1/tickets/{ticket.public_id}/comments", headers=agent_h,
                       json={"content": "Heap dump attached", "is_internal": True}).json()
    reply = client.post(f"/api/v1/tickets/{ticket.public_id}/comments", headers=agent_h,
                        json={"content": "Here is the fix log"}).json()
    for comment, name in ((note, "heap.txt"), (reply, "fix.log")):
        upload = client.post(f"/api/v1/tickets/{ticket.public_id}/attachments", headers=agent_h,
                             data={"comment_id": comment["id"]},
                             files={"file": (name, b"line one\n", "text/plain")})
        assert upload.status_code == 201, upload.text
        assert upload.json()["comment_id"] == comment["id"]

    as_agent = client.get(f"/api/v1/tickets/{ticket.public_id}/comments", headers=agent_h).json()
    assert [[a["filename"] for a in c["attachments"]] for c in as_agent] == [["heap.txt"],
                                                                             ["fix.log"]]
    as_user = client.get(f"/api/v1/tickets/{ticket.public_id}/comments", headers=user_h).json()
    assert [c["content"] for c in as_user] == ["Here is the fix log"]
    files = client.get(f"/api/v1/tickets/{ticket.public_id}/attachments", headers=user_h).json()
    assert [f["filename"] for f in files] == ["fix.log"]


def test_only_the_author_attaches_to_a_comment_of_the_same_ticket(client, session) -> None:  # type: ignore[no-untyped-def]
    requester = make_user(session, Role.END_USER)
    agent = make_user(session, Role.MANAGER)
    ticket = make_ticket(session, requester)
    other = make_ticket(session, requester)
    session.commit()
    agent_h, user_h = login(client, agent), login(client, requester)
    comment = client.post(f"/api/v1/tickets/{ticket.public_id}/comments", headers=agent_h,
                          json={"content": "Agent reply"}).json()

    not_author = client.post(f"/api/v1/tickets/{ticket.public_id}/attachments", headers=user_h,
                             data={"comment_id": comment["id"]},
                             files={"file": ("a.txt", b"x", "text/plain")})
    assert not_author.status_code == 403
    wrong_ticket = client.post(f"/api/v1/tickets/{other.public_id}/attachments", headers=agent_h,
                               data={"comment_id": comment["id"]},
                               files={"file": ("a.txt", b"x", "text/plain")})
    assert wrong_ticket.status_code == 422
    assert wrong_ticket.json()["errors"][0]["field"] == "comment_id"
    not_uuid = client.post(f"/api/v1/tickets/{ticket.public_id}/attachments", headers=agent_h,
                           data={"comment_id": "nope"},
                           files={"file": ("a.txt", b"x", "text/plain")})
    assert not_uuid.status_code == 422
    assert client.get(f"/api/v1/tickets/{ticket.public_id}/attachments",
                      headers=agent_h).json() == []


def test_deleting_a_comment_keeps_its_files_on_the_ticket(client, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, Role.ADMIN)
    ticket = make_ticket(session, agent)
    session.commit()
    h = login(client, agent)
    comment = client.post(f"/api/v1/tickets/{ticket.public_id}/comments", headers=h,
                          json={"content": "with a file"}).json()
    client.post(f"/api/v1/tickets/{ticket.public_id}/attachments", headers=h,
                data={"comment_id": comment["id"]}, files={"file": ("a.txt", b"x", "text/plain")})
    assert client.delete(f"/api/v1/comments/{comment['id']}", headers=h).status_code == 204
    files = client.get(f"/api/v1/tickets/{ticket.public_id}/attachments", headers=h).json()
    assert [(f["filename"], f["comment_id"]) for f in files] == [("a.txt", None)]


def test_a_file_under_another_field_name_is_named_in_the_error(client, session) -> None:  # type: ignore[no-untyped-def]
    agent = make_user(session, Role.ADMIN)
    ticket = make_ticket(session, agent)
    session.commit()
    response = client.post(f"/api/v1/tickets/{ticket.public_id}/attachments",
                           headers=login(client, agent),
                           files={"upload": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"file", "upload"}
