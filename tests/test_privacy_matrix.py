"""The privacy matrix: every API route, called as everyone who must not get in.

The routes come from Flask's URL map, so a route added tomorrow is covered
without touching this file. A URL parameter this file has no real object for
is filled with a placeholder (still checked for 401/403/5xx and leaks) and
named in a warning: seed one of couple A's objects in ``world`` and add it to
the fill map for the object-level check. A route without ``@require(...)``
fails until it is listed in ``PUBLIC`` (decide, then list it).

Couple A is Annika and Bartholomew, with a paired wall; couple B is Cat and
Dan. Each route is called as:

* **nobody** - 401, except the public routes;
* **A's wall** - 403, except routes whose view has ``allows_device``;
* **a member of couple B** - never a 2xx on a route addressing A's objects,
  and no answer naming A's members, couple, device or private data;
* **Bartholomew** (the partner) - never Annika's private data, never a 2xx
  on her member-private objects (her tokens).

No answer, to anyone, may be a 5xx.
"""

from __future__ import annotations

import json
import re
import warnings
from datetime import date, timedelta

import pytest

from hearthside.events import emit
from tests.conftest import join_new_couple, onboard_couple
from tests.support import testcards as card_plugin
from hearthside.testing import pair_device, privacy_cast
from hearthside.testing.push import BrowserSubscription
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES

PUBLIC = {
    ("GET", "/api/v1/health"),
    ("POST", "/api/v1/onboarding"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/session"),
    ("DELETE", "/api/v1/auth/session"),  # signing out a browser that may already be out
    ("POST", "/api/v1/invites/<code>/accept"),
    ("POST", "/api/v1/devices/claim"),
    ("GET", "/api/v1/openapi.json"),  # describes the API; holds no one's data
    ("GET", "/api/v1/rituals/feed/<feed_secret>.ics"),  # a calendar feed: the secret URL is the credential
}
# URL parameters that name one of couple A's objects, and (for the partner) Annika's own.
MEMBER_PRIVATE_PARAMS = {"token_id", "note_id", "subscription_id"}
PRIVATE_MARKER = "PRIVATE-MARKER-only-annika-may-read-this"
MEMBER_KEYS = {"member_id", "started_by", "ended_by", "actor_id", "audience_id", "created_by", "used_by"}


@pytest.fixture
def world(make_app):
    """Couple A with a wall, private data and objects; couple B; and who is calling."""
    app = make_app(extra_plugins={"testcards": card_plugin, **TEST_EVENT_TYPES})
    client = app.test_client()
    ann, bob, cat, _dan, wall = privacy_cast(client)
    ann.put("/api/v1/consents/dashboard.testcards", json={"granted": True})
    ann.post("/api/v1/pause", json={"minutes": 30})
    extra_token = ann.post("/api/v1/tokens", json={"name": "annika-laptop"}).json
    invite = ann.post("/api/v1/admin/invites").json["code"]  # couple A is complete: no partner invite
    hs = app.extensions["hearthside"]
    with hs.storage.connection() as db, db.atomic():
        couple_a = db["members"].get(ann.id)["couple_id"]
        couple_b = db["members"].get(cat.id)["couple_id"]
        emit(db, "test.journal_saved", couple_a, {"text": PRIVATE_MARKER}, visibility="private", audience_id=ann.id)
    fill = {"device_id": wall.id, "token_id": extra_token["id"], "member_id": ann.id, "code": invite,
            "scope": "dashboard.testcards", "couple_id": couple_a}
    fill["subscription_id"] = seed_push_subscription(ann)
    if "rituals" in hs.plugins.loaded():  # a therapy session with homework; an unrevealed check-in answer
        ritual = ann.post("/api/v1/rituals", json={"template": "therapy", "start": "2024-03-05T17:00"}).json
        session = f"/api/v1/rituals/{ritual['id']}/occurrences/2024-03-05T17:00"
        homework = ann.post(f"{session}/homework", json={"text": "Zephyr homework"}).json
        checkin = ann.post("/api/v1/rituals", json={"template": "checkin", "start": "2024-03-03T19:00"}).json
        ann.put(f"/api/v1/rituals/{checkin['id']}/occurrences/2024-03-03T19:00/checkin",
                json={"answers": {"hard": PRIVATE_MARKER}})
        fill.update({"ritual_id": ritual["id"], "occurrence_key": "2024-03-05T17:00", "homework_id": homework["id"]})
    feed_secret = seed_rituals_feed(ann, fill) if "rituals" in hs.plugins.loaded() else None
    if "transparency" in hs.plugins.loaded():
        seed_transparency(ann, bob, fill)
    secrets = ["annika", "Annika", "bartholomew", "Bartholomew", "Zephyr", PRIVATE_MARKER, ann.token,
               extra_token["token"], wall.token, *([feed_secret] if feed_secret else [])]
    return {
        "app": app, "fill": fill, "secrets": secrets, "a_members": {ann.id, bob.id}, "couple_a": couple_a,
        "couple_b": couple_b, "partner_id": bob.id,
        "callers": {"nobody": {}, "wall": wall.headers, "other": cat.headers, "partner": bob.headers},
    }


def seed_push_subscription(ann) -> int:
    """Annika's phone receives notifications: its endpoint (a capability) carries the marker, so no answer to
    the partner, the wall or another couple may show it (tests/test_notifications.py: nor her own)."""
    # On a closed loopback port: the partner's pause below notifies her, and nothing may leave this machine.
    phone = BrowserSubscription("annika-phone", f"https://127.0.0.1:1/{PRIVATE_MARKER}")
    made = ann.post("/api/v1/me/notifications/subscriptions", json=phone.as_json())
    assert made.status_code == 201, made.json
    return made.json["id"]


def seed_rituals_feed(ann, fill: dict) -> str:
    """Annika's calendar feed, made twice: the first secret (replaced, so dead) fills
    ``<feed_secret>`` - the public feed route must answer 404 to everyone for it - and
    the live one is returned as a secret that no answer to anyone may contain."""
    old = ann.post("/api/v1/rituals/feed").json["path"]
    fill["feed_secret"] = old.rsplit("/", 1)[1].removesuffix(".ics")
    return ann.post("/api/v1/rituals/feed").json["path"].rsplit("/", 1)[1].removesuffix(".ics")


def seed_transparency(ann, bob, fill: dict) -> None:
    """A shared entry, Bartholomew's open question, an agreement waiting for his
    signature, a ground-rules proposal and a started review - all couple A's."""
    api = "/api/v1/transparency"
    for member in (ann, bob):
        member.put("/api/v1/consents/transparency.share", json={"granted": True})
    review_on = (date.today() + timedelta(days=60)).isoformat()
    made = [ann.post(f"{api}/entries", json={"kind": "plan", "text": "Zephyr evening plan"}),
            bob.post(f"{api}/questions", json={"text": "Zephyr question"}),
            ann.post(f"{api}/agreements", json={"items": ["Zephyr plans"], "review_on": review_on}),
            ann.post(f"{api}/rules/proposals", json={"rules": ["Zephyr rule"]}),
            ann.post(f"{api}/reviews")]
    assert [answer.status_code for answer in made] == [201] * 5, [answer.json for answer in made]
    entry, question, agreement, proposal, review = (answer.json for answer in made)
    fill.update({"entry_id": entry["id"], "question_id": question["id"], "agreement_id": agreement["id"],
                 "proposal_id": proposal["id"], "review_id": review["id"]})


def api_routes(app) -> list[tuple[str, str, list[str], object]]:
    """(method, rule, URL parameter names, view) for every /api/v1 route, in a stable order."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, sorted(rule.arguments), app.view_functions[rule.endpoint]))
    return sorted(routes, key=lambda r: (r[1], r[0]))


def url_for_rule(rule: str, fill: dict, placeholders: set[str]) -> str:
    """The rule with its parameters filled: couple A's real objects where ``fill``
    knows one, else a placeholder that names nothing (its name is added to ``placeholders``)."""
    def value(match):
        converter, _, name = match.group(1).rpartition(":")
        if name in fill:
            return str(fill[name])
        placeholders.add(name)
        return "999999" if converter == "int" else "placeholder"

    return re.sub(r"<([^>]+)>", value, rule)


def call(client, method: str, url: str, headers: dict):
    kwargs = {"headers": headers}
    if method != "GET":
        kwargs["json"] = {}
    return client.open(url, method=method, **kwargs)


def leaks(answer, secrets: list[str]) -> list[str]:
    body = answer.get_data(as_text=True)
    return [secret for secret in secrets if secret in body]


def foreign_ids(data, a_members: set[int], couple_a: int) -> list[str]:
    """Keys in a JSON answer that point at couple A or its members."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "couple_id" and value == couple_a:
                found.append(key)
            elif key in MEMBER_KEYS and isinstance(value, int) and value in a_members:
                found.append(key)
            elif key == "members" and isinstance(value, dict) and {str(m) for m in a_members} & set(value):
                found.append(key)
            else:
                found += foreign_ids(value, a_members, couple_a)
    elif isinstance(data, list):
        for item in data:
            found += foreign_ids(item, a_members, couple_a)
    return found


def check(role: str, method: str, rule: str, params: list[str], view, answer, world) -> list[str]:
    """Every rule this caller's answer breaks, as readable lines."""
    status, where = answer.status_code, f"{role:8} {method:6} {rule} -> {answer.status_code}"
    public = (method, rule) in PUBLIC
    problems = [f"{where}: server error"] if status >= 500 else []
    if role == "nobody" and not public and status != 401:
        problems.append(f"{where}: expected 401 for an anonymous caller")
    if role == "wall" and not public and not getattr(view, "allows_device", False) and status != 403:
        problems.append(f"{where}: expected 403 for the wall (the view does not allow devices)")
    if role == "other" and params and set(params) - {"scope"} and 200 <= status < 300:
        problems.append(f"{where}: another couple reached couple A's object")
    if role == "partner" and MEMBER_PRIVATE_PARAMS & set(params) and 200 <= status < 300:
        problems.append(f"{where}: the partner reached Annika's own object")
    secrets = world["secrets"] if role != "partner" else [PRIVATE_MARKER, *world["secrets"][6:]]
    problems += [f"{where}: answer contains {secret[:12]!r}" for secret in leaks(answer, secrets)]
    if role == "other" and answer.is_json:
        problems += [f"{where}: answer points at couple A ({key})"
                     for key in foreign_ids(answer.get_json(), world["a_members"], world["couple_a"])]
    return problems


def test_every_api_view_is_protected_or_listed_as_public(world):
    unprotected = [(method, rule) for method, rule, _params, view in api_routes(world["app"])
                   if not hasattr(view, "allows_device") and (method, rule) not in PUBLIC]
    assert unprotected == [], "routes without @require(...) must be listed in PUBLIC on purpose"


def test_privacy_matrix(world):
    app = world["app"]
    client = app.test_client()
    problems, placeholders = [], set()
    for role in ("nobody", "wall", "other", "partner"):  # the partner last: their calls may change state
        for method, rule, params, view in api_routes(app):
            answer = call(client, method, url_for_rule(rule, world["fill"], placeholders), world["callers"][role])
            problems += check(role, method, rule, params, view, answer, world)
    assert not problems, "\n" + "\n".join(problems)
    if placeholders:
        # Still covered for 401/403/5xx and leaks; the object-level check needs a real object of couple A.
        warnings.warn("privacy matrix: no real object of couple A for URL parameter(s) "
                      + ", ".join(f"<{name}>" for name in sorted(placeholders))
                      + " - seed one in the world fixture and add it to its fill map", stacklevel=1)


def test_the_matrix_covers_every_route_of_this_issue(world):
    """A guard against the walk silently covering nothing."""
    covered = {(method, rule) for method, rule, _p, _v in api_routes(world["app"])}
    for route in [("GET", "/api/v1/consents"), ("PUT", "/api/v1/consents/<scope>"),
                  ("GET", "/api/v1/consents/history"), ("POST", "/api/v1/pause"), ("DELETE", "/api/v1/pause"),
                  ("GET", "/api/v1/pause"), ("GET", "/api/v1/pause/history"), ("POST", "/api/v1/devices"),
                  ("GET", "/api/v1/devices"), ("DELETE", "/api/v1/devices/<int:device_id>"),
                  ("POST", "/api/v1/devices/claim"), ("GET", "/api/v1/dashboard"), ("GET", "/api/v1/events")]:
        assert route in covered


def test_the_wall_and_the_partner_see_only_what_they_may(world):
    """Spot checks of content: the wall's events are dashboard-only; the partner never gets the private event."""
    client = world["app"].test_client()
    wall_events = client.get("/api/v1/events", headers=world["callers"]["wall"]).get_json()["events"]
    assert wall_events and {e["visibility"] for e in wall_events} == {"dashboard"}
    partner_events = client.get("/api/v1/events", headers=world["callers"]["partner"]).get_json()["events"]
    assert partner_events and {e["audience_id"] for e in partner_events
                               if e["visibility"] == "private"} <= {world["partner_id"]}  # only his own
    assert PRIVATE_MARKER not in json.dumps(partner_events)
    other_events = client.get("/api/v1/events", headers=world["callers"]["other"]).get_json()["events"]
    assert {e["couple_id"] for e in other_events} == {world["couple_b"]}


def test_every_plugin_keeps_a_shared_answer_sealed_until_both_answered(make_app):
    """Rule 1 of docs/security.md, for every loaded plugin that declares ``SEALED_ANSWERS``
    (hearthside.testing): a member reads the partner's answer to a shared object only after
    answering it too, whatever else they do to the object first."""
    from hearthside.testing import PrivacyMatrix

    app = make_app()
    client = app.test_client()
    ann, bob = onboard_couple(client)
    cat, _dan = join_new_couple(client, ann)
    plugins = app.extensions["hearthside"].plugins
    modules = {name: plugins.plugins[name].module for name in plugins.loaded()}
    matrix = PrivacyMatrix(app, list(modules), list(modules.values()), ann, bob, pair_device(ann), cat)
    checked = [spec["name"] for spec in matrix.run_sealed_answers()]
    assert "rituals check-in" in checked
