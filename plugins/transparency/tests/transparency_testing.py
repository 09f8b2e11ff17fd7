"""The transparency log's own helper functions for its tests (imported by name: this folder has no package).

Its fixtures are in conftest.py; the generic ones come from hearthside.testing.
"""

from __future__ import annotations

import json
import sqlite3
import threading

from hearthside.testing import hs_of

SHARE = "transparency.share"
WALL = "dashboard.transparency"
API = "/api/v1/transparency"


def share(member, granted: bool = True) -> None:
    answer = member.put(f"/api/v1/consents/{SHARE}", json={"granted": granted})
    assert answer.status_code == 200, answer.json


def write(member, text: str = "Gym after work, home by 19:30.", kind: str = "plan", **fields):
    return member.post(f"{API}/entries", json={"kind": kind, "text": text, **fields})


def written(member, text: str = "Gym after work, home by 19:30.", kind: str = "plan", **fields) -> dict:
    answer = write(member, text, kind, **fields)
    assert answer.status_code == 201, answer.json
    return answer.json


def write_at_once(app, members, count: int) -> list[dict]:
    """Each member writes ``count`` notes from their own thread, all at once; returns the errors answered."""
    errors = []

    def write_many(member):
        client = app.test_client()
        for n in range(count):
            answer = client.post(f"{API}/entries", headers=member.headers,
                                 json={"kind": "note", "text": f"{member.username} {n}"})
            if answer.status_code != 201:
                errors.append(answer.json)

    threads = [threading.Thread(target=write_many, args=(member,)) for member in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def snapshot(app) -> dict:
    """Row counts of every transparency table and of the events: 'nothing was written' is equality."""
    with hs_of(app).storage.connection() as db:
        tables = [name for name in db.table_names() if name.startswith("transparency_")] + ["events"]
        return {name: db[name].count for name in tables}


def raw(app) -> sqlite3.Connection:
    """A separate plain sqlite3 connection to the database file: 'behind the server's back'."""
    conn = sqlite3.connect(hs_of(app).storage.path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def events_for(member, type_: str) -> list[dict]:
    return [e for e in member.get("/api/v1/events?limit=500").json["events"] if e["type"] == type_]


def contains(data, needle: str) -> bool:
    return needle in json.dumps(data)
