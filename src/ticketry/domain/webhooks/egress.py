"""Where webhooks may go: SSRF protection for requests the server makes on a user's behalf.

A target is checked on the addresses its host RESOLVES to (so `localhost`, `2130706433`,
`0x7f000001`, `0177.0.0.1` and `127.1` all come out as 127.0.0.1 and are refused), and the
request is then sent to the checked address itself -- the URL rewritten to the IP, the Host
header and TLS server name kept -- so a second DNS answer (rebinding) cannot redirect it.
Redirects are never followed. `settings.webhook_allow_private_targets` switches the refusals
off (development, tests), not the pinning.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

IPAddress = IPv4Address | IPv6Address

# Most specific first: the first network that holds an address names the reason.
_V4_REFUSED: tuple[tuple[IPv4Network, str], ...] = tuple((IPv4Network(n), why) for n, why in (
    ("169.254.169.254/32", "a cloud metadata service"),
    ("100.100.100.200/32", "a cloud metadata service"),
    ("192.0.0.192/32", "a cloud metadata service"),
    ("255.255.255.255/32", "the broadcast address"),
    ("0.0.0.0/8", "unspecified ('this network')"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "reserved for IETF protocol assignments"),
    ("192.0.2.0/24", "reserved for documentation"),
    ("192.88.99.0/24", "the deprecated 6to4 relay anycast range"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "reserved for benchmarking"),
    ("198.51.100.0/24", "reserved for documentation"),
    ("203.0.113.0/24", "reserved for documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
))
_V6_REFUSED: tuple[tuple[IPv6Network, str], ...] = tuple((IPv6Network(n), why) for n, why in (
    ("fd00:ec2::254/128", "a cloud metadata service"),
    ("::1/128", "loopback"),
    ("::/128", "unspecified"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (private)"),
    ("ff00::/8", "multicast"),
    ("100::/64", "discard-only"),
    ("2001:2::/48", "reserved for benchmarking"),
    ("2001:10::/28", "reserved (ORCHID)"),
    ("2001:20::/28", "reserved (ORCHIDv2)"),
    ("2001:db8::/32", "reserved for documentation"),
    ("3fff::/20", "reserved for documentation"),
))
_V4_MAPPED = IPv6Network("::ffff:0:0/96")
_V4_TRANSLATED = IPv6Network("::ffff:0:0:0/96")
_V4_COMPATIBLE = IPv6Network("::/96")
_NAT64 = IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = IPv6Network("64:ff9b:1::/48")
_SIX_TO_FOUR = IPv6Network("2002::/16")
_TEREDO = IPv6Network("2001::/32")

_NUMERIC_HOST = re.compile(r"^[0-9a-fA-FxX.]+$")
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


class TargetRefused(Exception):
    """The URL is not one webhooks may call; `invalid` when it is not a usable URL at all."""

    def __init__(self, message: str, *, invalid: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.invalid = invalid


def _embedded_ipv4(address: IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, translated, compatible, NAT64,
    6to4, Teredo): reaching them may reach the IPv4 host."""
    value = int(address)
    low32 = IPv4Address(value & 0xFFFFFFFF)
    if address in _V4_MAPPED or address in _V4_TRANSLATED or address in _V4_COMPATIBLE:
        return [low32]
    if address in _NAT64:
        return [low32]
    if address in _NAT64_LOCAL:
        # RFC 6052 puts a /48 prefix's IPv4 in bits 48-63 and 72-87 (around the u-octet);
        # deployments that use it as a /96 carry it in the last 32 bits.
        if (value >> 32) & ((1 << 48) - 1) == 0:
            return [low32]
        return [IPv4Address(((value >> 64) & 0xFFFF) << 16 | ((value >> 40) & 0xFFFF))]
    if address in _SIX_TO_FOUR:
        return [address.sixtofour] if address.sixtofour else []
    if address in _TEREDO and address.teredo:
        server, client = address.teredo
        return [server, client]
    return []


def _why(address: IPAddress) -> str | None:
    networks: tuple[tuple[IPv4Network | IPv6Network, str], ...] = (
        _V4_REFUSED if isinstance(address, IPv4Address) else _V6_REFUSED)
    for network, why in networks:
        if address in network:
            return why
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why webhooks may not reach `address`, or None when it is a public address."""
    if isinstance(address, IPv6Address) and address.scope_id:
        address = IPv6Address(address.compressed.split("%")[0])
    why = _why(address)
    if why is not None:
        return f"{address} is {why}"
    if isinstance(address, IPv6Address):
        for inner in _embedded_ipv4(address):
            inner_why = _why(inner)
            if inner_why is not None:
                return f"{address} embeds {inner}, which is {inner_why}"
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without DNS: IPv4/IPv6 literals and the numeric spellings the
    resolver accepts (2130706433, 0x7f000001, 0177.0.0.1, 127.1)."""
    candidate = host.strip("[]").split("%")[0]
    try:
        return ip_address(candidate)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(candidate) and any(c.isdigit() for c in candidate):
        try:
            return IPv4Address(socket.inet_aton(candidate))
        except OSError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class ParsedUrl:
    scheme: str
    host: str  # ASCII (IDNA-encoded), without brackets
    port: int
    path: str  # path and query, as given
    host_header: str


def parse_url(url: str) -> ParsedUrl:
    if _BAD_URL_CHARS.search(url):
        raise TargetRefused("the URL must not contain spaces, control characters or "
                            "backslashes", invalid=True)
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"the URL is not valid: {exc}", invalid=True) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused("the URL must use http or https", invalid=True)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TargetRefused("the URL must not contain a user name or password", invalid=True)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("the URL must name a host", invalid=True)
    if literal_address(host) is None:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise TargetRefused(f"the URL's host name is not valid: {exc}", invalid=True) from exc
    default_port = 443 if scheme == "https" else 80
    port = port or default_port
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return ParsedUrl(scheme, host, port, path, host_header)


@dataclass(frozen=True, slots=True)
class Target:
    """A checked destination: connect to `address`, present `parsed.host`."""

    parsed: ParsedUrl
    address: IPAddress
    addresses: tuple[IPAddress, ...] = field(default=())

    @property
    def request_url(self) -> str:
        ip = f"[{self.address}]" if isinstance(self.address, IPv6Address) else str(self.address)
        return f"{self.parsed.scheme}://{ip}:{self.parsed.port}{self.parsed.path}"

    @property
    def extensions(self) -> dict[str, str]:
        # TLS: the certificate is checked against the host name, not the IP we connect to.
        if self.parsed.scheme == "https" and literal_address(self.parsed.host) is None:
            return {"sni_hostname": self.parsed.host}
        return {}


def _addresses(infos: Sequence[tuple[Any, Any, Any, Any, tuple[Any, ...]]]
               ) -> tuple[IPAddress, ...]:
    seen: dict[IPAddress, None] = {}
    for *_rest, sockaddr in infos:
        seen[ip_address(str(sockaddr[0]).split("%")[0])] = None
    return tuple(seen)


def check_addresses(parsed: ParsedUrl, addresses: tuple[IPAddress, ...], *,
                    allow_private: bool) -> Target:
    """The target, if every address the host has is one webhooks may reach."""
    if not addresses:
        raise TargetRefused(f"{parsed.host} did not resolve to any address")
    if not allow_private:
        # ANY refused address refuses the host: an attacker's DNS may answer with a mix.
        for address in addresses:
            reason = refusal_reason(address)
            if reason is not None:
                named = "" if parsed.host == str(address) else f"{parsed.host} -> "
                raise TargetRefused(f"refused target address: {named}{reason}")
    return Target(parsed, addresses[0], addresses)


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Parse, resolve (without blocking the loop) and check a URL for one delivery attempt."""
    parsed = parse_url(url)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(parsed.host, parsed.port, type=socket.SOCK_STREAM,
                                       proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"could not resolve {parsed.host}: {exc}") from exc
    return check_addresses(parsed, _addresses(infos), allow_private=allow_private)


# Creation-time lookups run here, with a deadline: a slow resolver must not hold a request.
_resolver_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ticketry-webhook-dns")


def check_url(url: str, *, allow_private: bool, resolve_timeout: float = 1.0) -> ParsedUrl:
    """The subscription-time check: malformed URLs and refused literal addresses always fail;
    a host name is checked if it resolves in time (the delivery checks it again anyway)."""
    parsed = parse_url(url)
    if allow_private:
        return parsed
    literal = literal_address(parsed.host)
    if literal is not None:
        check_addresses(parsed, (literal,), allow_private=False)
        return parsed
    future = _resolver_pool.submit(socket.getaddrinfo, parsed.host, parsed.port,
                                   type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        infos = future.result(timeout=resolve_timeout)
    except (FutureTimeout, OSError, UnicodeError):
        return parsed  # DNS unavailable or the name unknown now: delivery decides
    check_addresses(parsed, _addresses(infos), allow_private=False)
    return parsed


# Built once: loading the CA bundle costs more than a delivery.
_ssl_context: ssl.SSLContext | None = None


def ssl_context() -> ssl.SSLContext:
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context()
    return _ssl_context


@dataclass(frozen=True, slots=True)
class Response:
    status_code: int
    body: bytes  # the first `limit` bytes only


async def post(target: Target, *, headers: dict[str, str], body: bytes, timeout: float,
               limit: int = 1024) -> Response:
    """POST `body` to the checked address; no redirects, no proxies from the environment,
    at most `limit` bytes of the answer read."""
    # identity: a compressed answer could expand far beyond what is read of it.
    all_headers = {**headers, "Host": target.parsed.host_header, "Accept-Encoding": "identity"}
    async with httpx.AsyncClient(verify=ssl_context(), trust_env=False, follow_redirects=False,
                                 timeout=httpx.Timeout(timeout)) as client:
        request = client.build_request("POST", target.request_url, headers=all_headers,
                                       content=body, extensions=target.extensions)
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            received = bytearray()
            async for chunk in response.aiter_raw():
                received.extend(chunk)
                if len(received) >= limit:
                    break
            return Response(response.status_code, bytes(received[:limit]))
        finally:
            await response.aclose()
