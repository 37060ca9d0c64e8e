"""`SegmentRouter`: a request outside a router's paths skips the router with one test, and
nothing else about matching changes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match
from starlette.types import Scope

from ticketry.api.routing import SegmentRouter


def _app(*routers: SegmentRouter) -> FastAPI:
    app = FastAPI()
    for router in routers:
        router.serve_under("/api")
        app.include_router(router, prefix="/api")
    return app


def _routers() -> tuple[SegmentRouter, SegmentRouter]:
    things = SegmentRouter(prefix="/things")
    others = SegmentRouter()

    @things.get("/{thing_id}")
    def read_thing(thing_id: int) -> dict[str, int]:
        return {"thing": thing_id}

    @others.get("/others/{other_id}")
    def read_other(other_id: int) -> dict[str, int]:
        return {"other": other_id}

    @others.post("/widgets")
    def make_widget() -> dict[str, str]:
        return {"widget": "made"}

    return things, others


def test_requests_reach_every_router_and_unknown_paths_are_404() -> None:
    with TestClient(_app(*_routers())) as client:
        assert client.get("/api/things/7").json() == {"thing": 7}
        assert client.get("/api/others/8").json() == {"other": 8}
        assert client.post("/api/widgets").json() == {"widget": "made"}
        assert client.get("/api/widgets").status_code == 405
        assert client.get("/api/nothing/1").status_code == 404
        assert client.get("/things/7").status_code == 404


def test_a_path_outside_the_router_is_not_tried_against_its_routes() -> None:
    things, others = _routers()
    app = _app(things, others)
    tried: list[str] = []
    for route in things.routes:
        original = route.matches

        def spy(scope: Scope, original: Any = original) -> tuple[Match, Scope]:
            tried.append(scope["path"])
            return original(scope)  # type: ignore[no-any-return]

        route.matches = spy  # type: ignore[method-assign]
    with TestClient(app) as client:
        assert client.get("/api/others/8").json() == {"other": 8}
        assert client.get("/api/nothing").status_code == 404
        assert tried == []
        assert client.get("/api/things/7").json() == {"thing": 7}
        assert "/api/things/7" in tried


def test_a_router_whose_routes_start_with_a_parameter_tries_every_path() -> None:
    anything = SegmentRouter()

    @anything.get("/{name}/details")
    def details(name: str) -> dict[str, str]:
        return {"name": name}

    with TestClient(_app(anything)) as client:
        assert client.get("/api/whatever/details").json() == {"name": "whatever"}


def test_routes_added_after_inclusion_are_found() -> None:
    things, others = _routers()
    app = _app(things, others)

    @others.get("/late/{n}")
    def late(n: int) -> dict[str, int]:
        return {"late": n}

    with TestClient(app) as client:
        assert client.get("/api/late/3").json() == {"late": 3}
