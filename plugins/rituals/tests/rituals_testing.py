"""The rituals' own helper functions for their tests (imported by name: this folder has no package).

Their fixtures are in conftest.py; the generic ones come from hearthside.testing.
"""

from __future__ import annotations

from datetime import datetime, timezone

from hearthside.testing import hs_of

REVEAL = "rituals.checkin_reveal"
WALL_SCOPE = "dashboard.rituals"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def grant(scope: str, *members, granted: bool = True) -> None:
    for member in members:
        answer = member.put(f"/api/v1/consents/{scope}", json={"granted": granted})
        assert answer.status_code == 200, answer.json


def create(member, **body) -> dict:
    body.setdefault("template", "checkin")
    body.setdefault("start", "2024-03-03T19:00")
    answer = member.post("/api/v1/rituals", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def occ(ritual_id: int, key: str, tail: str = "") -> str:
    return f"/api/v1/rituals/{ritual_id}/occurrences/{key}{tail}"


def table_counts(app) -> dict:
    """Rows in every rituals table and in events: to prove an error wrote nothing."""
    with hs_of(app).storage.connection() as db:
        tables = [name for name in db.table_names() if name.startswith("rituals_")] + ["events"]
        return {name: db.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in tables}


def events(member, type_: str | None = None) -> list[dict]:
    found = member.get("/api/v1/events?limit=500").json["events"]
    return [e for e in found if type_ is None or e["type"] == type_]


def mine(items: list[dict], *ritual_ids: int) -> list[dict]:
    return [item for item in items if item.get("ritual_id", item.get("id")) in ritual_ids]
