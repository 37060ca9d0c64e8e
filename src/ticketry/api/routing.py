"""Routers a request outside their paths skips with one test.

FastAPI (0.165) matches an included router by trying its routes one by one, and when one
matches it tries them again to pick it; a router is included as a whole, so a request for the
canonical API's last router first paid for every route of the routers before it (~80 route
tests: 0.3 ms per request, measured in-process, a sixth of a ticket read). A `SegmentRouter`
knows the first path segments of its routes (`/tickets`, `/comments`, ...) and answers "no
match" at once for a path that starts with none of them.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match
from starlette.types import Scope


def _first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


class SegmentRouter(APIRouter):
    # The prefix the router is served under, and the first segments of its routes' paths after
    # it; None: a route starts with a parameter (or none is known yet), so every path is tried.
    _served_under: str = ""
    _segments: frozenset[str] | None = None
    _segments_for: int = -1  # how many routes `_segments` was computed from

    def serve_under(self, prefix: str) -> None:
        """Say where the router is included (the prefix given to `include_router`)."""
        self._served_under = prefix.rstrip("/")

    def _known_segments(self) -> frozenset[str] | None:
        routes: list[BaseRoute] = self.routes
        if self._segments_for != len(routes):
            segments = {_first_segment(getattr(route, "path", "{")) for route in routes}
            known = bool(segments) and not any(s.startswith("{") or not s for s in segments)
            self._segments = frozenset(segments) if known else None
            self._segments_for = len(routes)
        return self._segments

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        segments = self._known_segments()
        if segments is not None and scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            prefix = self._served_under
            if not path.startswith(prefix) or _first_segment(path[len(prefix):]) not in segments:
                return Match.NONE, {}
        return super().matches(scope)
