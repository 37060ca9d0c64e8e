"""SSRF protection: webhooks never reach loopback, private, link-local, shared, multicast,
reserved or cloud-metadata addresses, however they are spelled or wrapped, and a request goes
to the address that was checked. No test here sends traffic anywhere but 127.0.0.1."""

from __future__ import annotations

import asyncio
from ipaddress import IPv4Address, ip_address

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.domain.webhooks.receiver import Receiver, drain
from tests.factories import make_ticket
from ticketry.config import Settings
from ticketry.db import Database
from ticketry.domain.users.models import User
from ticketry.domain.webhooks import egress
from ticketry.domain.webhooks.egress import (
    TargetRefused,
    check_addresses,
    check_url,
    literal_address,
    parse_url,
    refusal_reason,
    resolve_target,
)
from ticketry.domain.webhooks.models import WebhookAttempt, WebhookDelivery
from ticketry.domain.webhooks.schemas import WebhookCreate
from ticketry.domain.webhooks.service import create_webhook

REFUSED = [
    # (address, what the reason says)
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.0.1", "private"),
    ("192.168.255.255", "private"),
    ("fc00::1", "unique local"),
    ("fd12:3456:789a::1", "unique local"),
    ("169.254.0.1", "link-local"),
    ("169.254.255.254", "link-local"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.10", "documentation"),
    ("198.51.100.10", "documentation"),
    ("203.0.113.10", "documentation"),
    ("2001:db8::1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.254", "benchmarking"),
    ("169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("192.0.0.192", "cloud metadata"),
    # IPv6 addresses that carry an IPv4 address: the IPv4 address decides.
    ("::ffff:127.0.0.1", "embeds 127.0.0.1, which is loopback"),
    ("::ffff:169.254.169.254", "embeds 169.254.169.254, which is a cloud metadata"),
    ("::ffff:0:10.0.0.1", "embeds 10.0.0.1, which is private"),
    ("::127.0.0.1", "embeds 127.0.0.1, which is loopback"),
    ("::10.1.2.3", "embeds 10.1.2.3, which is private"),
    ("64:ff9b::127.0.0.1", "embeds 127.0.0.1, which is loopback"),
    ("64:ff9b::a9fe:a9fe", "embeds 169.254.169.254, which is a cloud metadata"),
    ("64:ff9b:1::c0a8:1", "embeds 192.168.0.1, which is private"),
    ("64:ff9b:1:7f00:0:100::", "embeds 127.0.0.1, which is loopback"),  # RFC 6052 /48 layout
    ("2002:7f00:1::", "embeds 127.0.0.1, which is loopback"),
    ("2002:a9fe:a9fe::1", "embeds 169.254.169.254, which is a cloud metadata"),
    ("2002:c0a8:101::", "embeds 192.168.1.1, which is private"),
    # Teredo: server 65.54.227.120, client (obfuscated) 127.0.0.1.
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "embeds 127.0.0.1, which is loopback"),
]

ALLOWED = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8",
           "64:ff9b::8.8.8.8", "2002:808:808::1",
           "2001:0:4136:e378:8000:63bf:f7f7:f7f7"]  # Teredo, client 8.8.8.8


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_a_refused_address_is_named_with_its_reason(address: str, reason: str) -> None:
    found = refusal_reason(ip_address(address))
    assert found is not None
    assert reason in found


@pytest.mark.parametrize("address", ALLOWED)
def test_a_public_address_is_allowed(address: str) -> None:
    assert refusal_reason(ip_address(address)) is None


@pytest.mark.parametrize("spelling", ["127.0.0.1", "2130706433", "0x7f000001", "0x7F000001",
                                      "0177.0.0.1", "0177.0.0.01", "127.1", "127.0.1",
                                      "0x7f.1", "017700000001"])
def test_numeric_spellings_of_loopback_are_recognised(spelling: str) -> None:
    assert literal_address(spelling) == IPv4Address("127.0.0.1")


def test_host_names_are_not_literal_addresses() -> None:
    assert literal_address("example.com") is None
    assert literal_address("deadbeef") is None
    assert literal_address("[::1]") == ip_address("::1")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "2130706433", "0x7f000001",
                                  "0177.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]"])
def test_the_resolver_path_refuses_loopback_however_it_is_spelled(host: str) -> None:
    """The check runs on what the resolver returns: names and numeric forms alike."""
    with pytest.raises(TargetRefused) as refused:
        asyncio.run(resolve_target(f"http://{host}:9/hook", allow_private=False))
    assert "loopback" in refused.value.message
    assert not refused.value.invalid


def test_a_host_is_refused_if_any_of_its_addresses_is() -> None:
    parsed = parse_url("https://mixed.example.com/hook")
    addresses = (ip_address("93.184.216.34"), ip_address("10.0.0.5"))

    with pytest.raises(TargetRefused) as refused:
        check_addresses(parsed, addresses, allow_private=False)

    assert refused.value.message == \
        "refused target address: mixed.example.com -> 10.0.0.5 is private (RFC 1918)"


def test_the_request_goes_to_the_checked_address_with_the_host_name_kept() -> None:
    """No second DNS lookup: the URL is rewritten to the IP; Host and TLS name stay."""
    parsed = parse_url("https://hooks.example.com:8443/in?x=1")
    target = check_addresses(parsed, (ip_address("93.184.216.34"),), allow_private=False)

    assert target.request_url == "https://93.184.216.34:8443/in?x=1"
    assert target.parsed.host_header == "hooks.example.com:8443"
    assert target.extensions == {"sni_hostname": "hooks.example.com"}

    v6 = check_addresses(parse_url("http://hooks.example.com/in"),
                         (ip_address("2606:4700:4700::1111"),), allow_private=False)
    assert v6.request_url == "http://[2606:4700:4700::1111]:80/in"
    assert v6.parsed.host_header == "hooks.example.com"
    assert v6.extensions == {}


def test_allowing_private_targets_still_pins_the_resolved_address(receiver: Receiver) -> None:
    target = asyncio.run(resolve_target(receiver.url(host="localhost"), allow_private=True))

    assert target.address.is_loopback
    assert target.parsed.host_header == f"localhost:{receiver.port}"
    response = asyncio.run(egress.post(target, headers={}, body=b"{}", timeout=5))
    assert response.status_code == 200
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://example.com/hook", "http or https"),
    ("file:///etc/passwd", "http or https"),
    ("gopher://example.com/", "http or https"),
    ("http://user:secret@example.com/", "user name or password"),
    ("http://user@example.com/", "user name or password"),
    ("http:///hook", "must name a host"),
    ("http://exa mple.com/", "spaces"),
    ("http://example.com\\@127.0.0.1/", "backslashes"),
    ("http://example.com:99999/", "not valid"),
])
def test_urls_that_are_not_plain_http_targets_are_invalid(url: str, problem: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        parse_url(url)
    assert refused.value.invalid
    assert problem in refused.value.message


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/", "http://[fd00:ec2::254]/", "http://2130706433/", "http://0x7f000001/",
    "http://0177.0.0.1/", "http://127.1/", "http://[::ffff:10.0.0.1]/", "http://localhost/",
    "http://100.100.100.200/"])
def test_a_subscription_to_a_refused_address_is_refused_when_made(url: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        check_url(url, allow_private=False)
    assert not refused.value.invalid
    assert refused.value.message.startswith("refused target address: ")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433"])
def test_a_delivery_to_a_refused_address_is_logged_and_nothing_is_sent(
        session: Session, db: Database, local_settings: Settings, receiver: Receiver,
        engineer: User, host: str) -> None:
    # Subscribed while private targets were allowed; delivered after they no longer are.
    endpoint = create_webhook(session, actor=engineer, settings=local_settings, data=WebhookCreate(
        url=receiver.url(host=host), events=["*"])).endpoint
    make_ticket(session, engineer)

    drain(db, local_settings.model_copy(update={"webhook_allow_private_targets": False,
                                                "webhook_retry_schedule": "0"}))

    assert receiver.requests == []
    session.expire_all()
    delivery = session.scalars(select(WebhookDelivery)
                               .where(WebhookDelivery.endpoint_id == endpoint.id)).one()
    attempts = session.scalars(select(WebhookAttempt)
                               .where(WebhookAttempt.delivery_id == delivery.id)).all()
    assert [a.status_code for a in attempts] == [None, None]
    assert attempts[0].error is not None
    assert attempts[0].error.startswith("not sent: refused target address: ")
    assert "127.0.0.1 is loopback" in attempts[0].error
    assert delivery.status == "failed"
