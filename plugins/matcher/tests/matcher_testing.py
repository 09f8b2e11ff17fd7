"""The matcher's own helper functions for its tests (imported by name: this folder has no package).

Its fixtures are in conftest.py; the generic ones come from hearthside.testing.
"""

from __future__ import annotations

from hearthside.plugins.matcher import catalog

SCOPE = "matcher.reveal"
IDS = [item["id"] for item in catalog.builtin().items]
X, Y, Z, W = IDS[0], IDS[1], IDS[2], IDS[3]


def reveal(*members, granted: bool = True) -> None:
    for member in members:
        answer = member.put(f"/api/v1/consents/{SCOPE}", json={"granted": granted})
        assert answer.status_code == 200, answer.json


def put(member, answers: dict, notes: dict | None = None):
    body = {"answers": answers}
    if notes is not None:
        body["notes"] = notes
    return member.put("/api/v1/matcher/answers", json=body)


def own(member) -> dict:
    answer = member.get("/api/v1/matcher/answers")
    assert answer.status_code == 200, answer.json
    return answer.json


def matches(member):
    return member.get("/api/v1/matcher/matches")


def both_say_yes(ann, bob, item: str = X) -> None:
    """Both say yes to ``item`` and both turn the reveal on: a match either of them may see."""
    put(ann, {item: "yes"})
    put(bob, {item: "yes"})
    reveal(ann, bob)


def compare(ann, bob) -> None:
    """Ann says yes to X, both turn the reveal on and Ann looks: the comparison after which raises wait."""
    put(ann, {X: "yes"})
    reveal(ann, bob)
    matches(ann)


def last_event_id(member) -> int:
    """The id of the newest event this member may see (paging forward: the API lists oldest first)."""
    newest = 0
    while True:
        events = member.get(f"/api/v1/events?after={newest}&limit=500").json["events"]
        if not events:
            return newest
        newest = events[-1]["id"]


def newest_event_id(app) -> int:
    """The newest event of the whole server, whoever may see it."""
    with app.extensions["hearthside"].storage.connection() as db:
        return db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


def events_after(member, after: int) -> list[dict]:
    return member.get(f"/api/v1/events?after={after}&limit=500").json["events"]
