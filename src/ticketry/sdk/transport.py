"""What the sync and async clients share about HTTP: the API root and the request a `Call`
becomes."""

from __future__ import annotations

import httpx

from ticketry import __version__
from ticketry.sdk.operations import Call, ClientState

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
USER_AGENT = f"ticketry-sdk/{__version__}"


def api_root(base_url: str) -> str:
    """The canonical API's root for a server's address (`https://host` or `https://host/api/v1`,
    also behind a path prefix: `https://host/ticketry`)."""
    root = base_url.strip().rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
    return root if root.endswith(API_PREFIX) else root + API_PREFIX


def build_request(http: httpx.Client | httpx.AsyncClient, root: str, call: Call,
                  state: ClientState) -> httpx.Request:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json",
               **state.auth_headers(), **call.headers}
    return http.build_request(
        call.method, root + call.path, params=tuple(call.params) or None,
        json=call.json if call.files is None else None,
        data=call.data if call.files is not None else None, files=call.files,
        headers=headers)
