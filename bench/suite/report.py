"""The results table (Markdown and JSON) and the issue's targets as ratios measured in the same
run: Ticketry / ceiling (get, list, create), Ticketry / django-helpdesk (every operation), the
2-worker / 1-worker factor, p99 at the large size, and the numbers of the extra benchmarks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Row = dict[str, Any]

CEILING_TARGETS = {"get": 0.25, "list": 0.25, "create": 0.2}
PEER_TARGET = 50.0
P99_TARGET_MS = 25.0
P99_SIZE = 100_000
# The issue asks that requests "scale with a second worker" and names no number. Two cores are
# shared by both workers and wrk, so 2.0 is out of reach; we call 1.25 scaling.
SCALING_TARGET = 1.25
SEARCH_TARGET = 20.0
IMPORT_TARGET, EXPORT_TARGET, RSS_LIMIT_MB = 10_000, 30_000, 300.0


def _find(rows: Iterable[Row], **key: Any) -> Row | None:
    for row in rows:
        if row.get("status") == "ok" and all(row.get(k) == v for k, v in key.items()):
            return row
    return None


def _missing_reason(rows: Iterable[Row], contender: str) -> str:
    for row in rows:
        if row["contender"] == contender and row.get("status") != "ok":
            return f"{contender} {row['status']}"
    return f"{contender} not measured"


# Framework floors (bench/suite/floor_app.py): reported beside the ceiling ratios.
FLOORS = ("floor", "floor-session")


def _ratio_target(name: str, backend: str, size: int, mine: Row | None, other: Row | None,
                  reference: str, goal: float | None, rows: list[Row], note: str = "") -> Row:
    """A ratio of requests/s to a reference; without a goal it is reported, never judged."""
    if mine is None or other is None or not other["requests_per_second"]:
        missing = "ticketry not measured" if mine is None else _missing_reason(rows, reference)
        return {"target": name, "backend": backend, "size": size, "ticketry": None,
                "reference": None, "ratio": None, "goal": goal, "met": None, "note": missing}
    ratio = mine["requests_per_second"] / other["requests_per_second"] \
        if other["requests_per_second"] else None
    return {"target": name, "backend": backend, "size": size,
            "ticketry": mine["requests_per_second"], "reference": other["requests_per_second"],
            "ratio": ratio, "goal": goal,
            "met": None if goal is None else ratio is not None and ratio >= goal,
            "note": note}


def _add_note(row: Row, text: str) -> None:
    row["note"] = f"{row['note']}; {text}" if row["note"] else text


def _floor_ratios(target: Row, rows: list[Row], *, op: str, backend: str, size: int,
                  reference: Row | None, reference_name: str, note: str = "") -> list[Row]:
    """The floors' ratios to `target`'s reference, when measured (reported, no goal). When a
    floor itself falls short of `target`'s goal, `target` says so: no app with that floor's
    per-request cost could meet it, whatever its own work."""
    if reference is None:
        return []
    found: list[Row] = []
    marked = False
    for floor in FLOORS:
        row = _find(rows, contender=floor, backend=backend, size=size, workers=1,
                    operation=op)
        if row is None:
            continue
        ratio = _ratio_target(f"{op}: {floor} / {reference_name}", backend, size, row,
                              reference, reference_name, None, rows, note)
        found.append(ratio)
        goal = target["goal"]
        if not marked and goal is not None and ratio["ratio"] is not None \
                and ratio["ratio"] < goal:
            _add_note(target, f"goal above {floor}'s {ratio['ratio']:.2f}")
            marked = True
    return found


def targets(rows: list[Row]) -> list[Row]:
    found: list[Row] = []
    cells = sorted({(r["backend"], r["size"]) for r in rows if r["contender"] == "ticketry"})
    for backend, size in cells:
        for op, goal in CEILING_TARGETS.items():
            mine = _find(rows, contender="ticketry", backend=backend, size=size, workers=1,
                         operation=op)
            ceiling = _find(rows, contender="ceiling", backend=backend, size=size, workers=1,
                            operation=op)
            target = _ratio_target(f"{op}: ticketry / ceiling", backend, size, mine,
                                   ceiling, "ceiling", goal, rows)
            # Beside it, how much of the ceiling FastAPI keeps with no work at all, and with
            # one ORM session per request.
            found += [target, *_floor_ratios(target, rows, op=op, backend=backend, size=size,
                                             reference=ceiling, reference_name="ceiling")]
        if size >= P99_SIZE:
            for op in CEILING_TARGETS:
                mine = _find(rows, contender="ticketry", backend=backend, size=size, workers=1,
                             operation=op)
                p99 = {"target": f"{op}: ticketry p99 (ms)", "backend": backend,
                       "size": size, "ticketry": mine and mine["p99_ms"],
                       "reference": None, "ratio": None, "goal": P99_TARGET_MS,
                       "met": None if mine is None else mine["p99_ms"] <= P99_TARGET_MS,
                       "note": "" if mine else "ticketry not measured"}
                # A floor slower than the goal by itself (no work at all) bounds it too.
                for floor in FLOORS:
                    row = _find(rows, contender=floor, backend=backend, size=size, workers=1,
                                operation=op)
                    if row is not None and row["p99_ms"] > P99_TARGET_MS:
                        _add_note(p99, f"goal below {floor}'s own p99 {row['p99_ms']:.1f} ms")
                        break
                found.append(p99)
        for op in sorted({r["operation"] for r in rows if r["contender"] == "django-helpdesk"
                          and r.get("status") == "ok"}):
            mine = _find(rows, contender="ticketry", backend=backend, size=size, workers=1,
                         operation=op)
            peer = _find(rows, contender="django-helpdesk", backend=backend, size=size,
                         workers=1, operation=op)
            note = ""
            if peer is None:  # the peer runs on SQLite only: compare with that
                peer = _find(rows, contender="django-helpdesk", backend="sqlite", size=size,
                             workers=1, operation=op)
                note = "peer on sqlite" if peer else ""
            target = _ratio_target(f"{op}: ticketry / django-helpdesk", backend, size, mine,
                                   peer, "django-helpdesk", PEER_TARGET, rows, note)
            # Beside it, the most any FastAPI app (with an ORM session per request) could
            # reach of this target here.
            found += [target, *_floor_ratios(target, rows, op=op, backend=backend, size=size,
                                             reference=peer, reference_name="django-helpdesk",
                                             note=note)]
        if not any(r["contender"] == "django-helpdesk" and r.get("status") == "ok"
                   for r in rows):
            found.append({"target": "every operation: ticketry / django-helpdesk",
                          "backend": backend, "size": size, "ticketry": None,
                          "reference": None, "ratio": None, "goal": PEER_TARGET, "met": None,
                          "note": _missing_reason(rows, "django-helpdesk")})
        for op in sorted({r["operation"] for r in rows if r["contender"] == "ticketry"}):
            one = _find(rows, contender="ticketry", backend=backend, size=size, workers=1,
                        operation=op)
            two = _find(rows, contender="ticketry", backend=backend, size=size, workers=2,
                        operation=op)
            if one is None or two is None or not one["requests_per_second"]:
                continue
            factor = two["requests_per_second"] / one["requests_per_second"]
            found.append({"target": f"{op}: ticketry 2 workers / 1 worker", "backend": backend,
                          "size": size, "ticketry": two["requests_per_second"],
                          "reference": one["requests_per_second"], "ratio": factor,
                          "goal": SCALING_TARGET, "met": factor >= SCALING_TARGET, "note": ""})
    return found


def extra_targets(extras: dict[str, Any]) -> list[Row]:
    found: list[Row] = []
    for result in extras.get("search", []):
        measures = result.get("measures", {})
        indexed = measures.get("search_tickets, agent")
        like = next((v for k, v in measures.items() if k.startswith("LIKE")), None)
        if indexed and like:
            ratio = like["median_ms"] / indexed["median_ms"]
            found.append({"target": "search: LIKE scan ms / full-text ms",
                          "backend": result["backend"], "size": result["tickets"],
                          "ticketry": indexed["median_ms"], "reference": like["median_ms"],
                          "ratio": ratio, "goal": SEARCH_TARGET, "met": ratio >= SEARCH_TARGET,
                          "note": "median ms of the service call"})
    for result in extras.get("import", []):
        rate, rss = result["rows_per_second"], result["peak_rss_mb"]
        found.append({"target": "import CSV: rows/s (peak RSS MB)", "backend": result["backend"],
                      "size": result["rows"], "ticketry": rate, "reference": rss,
                      "ratio": None, "goal": IMPORT_TARGET,
                      "met": rate >= IMPORT_TARGET and rss < RSS_LIMIT_MB, "note": ""})
    for result in extras.get("export", []):
        csv = result.get("formats", {}).get("csv")
        if csv:
            rate, rss = csv["rows_per_second_export"], csv["peak_rss_mb"]
            found.append({"target": "export CSV: rows/s (peak RSS MB)",
                          "backend": result["backend"], "size": result["tickets"],
                          "ticketry": rate, "reference": rss, "ratio": None,
                          "goal": EXPORT_TARGET,
                          "met": rate >= EXPORT_TARGET and rss < RSS_LIMIT_MB,
                          "note": f"command: {csv['rows_per_second_command']} rows/s"})
    return found


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(meta: dict[str, Any], rows: list[Row], extras: dict[str, Any]) -> str:
    lines = [f"# Ticketry benchmark suite, {meta['started']}", ""]
    for key in ("commit", "machine", "python", "wrk", "load", "settings", "wall_time"):
        if meta.get(key):
            lines.append(f"- {key.replace('_', ' ')}: {meta[key]}")
    lines += [f"- note: {note}" for note in meta.get("notes", [])]
    if rows:
        lines += ["", "## Requests", "",
                  "| contender | backend | size | workers | operation | req/s | p50 ms | p99 ms "
                  "| CPU µs/req | errors |",
                  "|---|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        head = f"| {r['contender']} | {r['backend']} | {r['size']:,} | {r['workers'] or '-'} " \
               f"| {r['operation'] or '-'} |"
        if r.get("status") == "ok":
            lines.append(f"{head} {_num(r['requests_per_second'], 0)} | {_num(r['p50_ms'], 2)} "
                         f"| {_num(r['p99_ms'], 2)} | {_num(r['cpu_us_per_request'], 0)} "
                         f"| {r['errors']} |")
        else:
            lines.append(f"{head} {r['status']}: {r.get('reason', '')} | | | | |")
    found = targets(rows) + extra_targets(extras)
    if found:
        lines += ["", "## Targets", "",
                  "Ratios of requests/s with one worker at the same backend and size, measured "
                  "in this run (scaling: 2 workers / 1 worker).", "",
                  "| target | backend | size | ticketry | reference | ratio | goal | met |",
                  "|---|---|---:|---:|---:|---:|---:|---|"]
        for t in found:
            met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
            note = f" ({t['note']})" if t.get("note") else ""
            lines.append(f"| {t['target']} | {t['backend']} | {_num(t['size'])} "
                         f"| {_num(t['ticketry'])} | {_num(t['reference'])} "
                         f"| {_num(t['ratio'], 2)} | {_num(t['goal'], 2)} | {met}{note} |")
    webhooks = extras.get("webhooks", [])
    if webhooks:
        lines += ["", "## Webhook delivery", "",
                  "| database | workers | events | events/s | delay p50 ms | delay p99 ms |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {w['database']} | {w['workers']} | {w['events']} "
                  f"| {w['events_per_second']} | {w['delay_ms_p50']} | {w['delay_ms_p99']} |"
                  for w in webhooks]
    for name, error in extras.get("failed", {}).items():
        lines.append(f"\n- extra benchmark {name} failed: {error}")
    return "\n".join(lines) + "\n"


def write(base: Path, meta: dict[str, Any], rows: list[Row], extras: dict[str, Any]) -> str:
    base.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(meta, rows, extras)
    base.with_suffix(".md").write_text(text)
    base.with_suffix(".json").write_text(json.dumps(
        {"meta": meta, "results": rows, "targets": targets(rows) + extra_targets(extras),
         "extras": extras}, indent=2) + "\n")
    return text
