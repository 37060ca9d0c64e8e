"""`floor-session`: the framework floor with one ORM session per request (see floor.py)."""

from __future__ import annotations

from contenders.floor import Floor

CONTENDER = Floor("floor-session", session=True)
