"""The privacy matrix: every route of a plugin, called as everyone who must not get in.

Rules 2 and 8 of docs/security.md are checked for every plugin along the way
(:func:`couple_of_two_problems`, :class:`LateWall`); rule 1, sealed answers,
is in :mod:`hearthside.testing.sealed`.
"""

from __future__ import annotations

import re
import secrets
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable

from .live import connect_socket
from .members import Device, Member, join_new_couple, onboard_couple, pair_device
from .sealed import check_sealed_answers, run_sealed_answers

ROLES = ("nobody", "wall", "other", "partner")  # the partner last: their calls may change state
# Hostile input every route must survive with a 4xx (or a 2xx that ignores it), never a 5xx: a JSON
# body nested deeper than any parser recurses, and the first and last dates Python can hold, for every
# date and date-time query parameter the OpenAPI document declares.
NESTED_JSON = "[" * 5000 + "]" * 5000
EDGE_VALUES = {"date": ("0001-01-01", "9999-12-31"),
               "date-time": ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00")}
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
MEMBER_KEYS = {"member_id", "author_id", "actor_id", "audience_id", "created_by", "started_by", "ended_by",
               "used_by", "owner_id"}


def privacy_cast(client, wall_name: str = "Zephyr hallway screen") -> tuple[Member, Member, Member, Member, Device]:
    """The privacy tests' people: ``ann, bob, cat, dan, wall = privacy_cast(client)``.

    Couple A is annika and bartholomew of "Zephyr Household" - names no other
    text holds by chance, so finding one in an answer is a leak - with their
    wall screen; couple B (cat, dan) is on the same server, joined through
    annika's admin invite.
    """
    ann, bob = onboard_couple(client, "annika", "bartholomew", "Zephyr Household")
    cat, dan = join_new_couple(client, ann)
    return ann, bob, cat, dan, pair_device(ann, wall_name)


@dataclass
class Route:
    """One method of one ``/api/v1`` rule, with its URL parameter names and view function."""

    method: str
    rule: str
    params: list[str]
    view: Any

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule}"


@dataclass
class MatrixResult:
    """What one run of the matrix did: each call's role, route and status, and the problems."""

    calls: list[tuple[str, str, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    placeholders: set[str] = field(default_factory=set)

    def status(self, role: str, route: str) -> int:
        """The status ``role`` got from ``route`` (``"GET /api/v1/x"``)."""
        for caller, label, status in self.calls:
            if caller == role and label == route:
                return status
        raise KeyError(f"the matrix did not call {route!r} as {role!r}; it called: "
                       + ", ".join(sorted({label for _r, label, _s in self.calls})))


class PrivacyMatrix:
    """Call each of the plugin's ``/api/v1`` routes as everyone who must not get in.

    Couple A is ``ann`` and ``bob`` with their paired ``wall``; couple B is
    ``cat`` and ``dan``. Seed some of Ann's private data containing
    :attr:`marker` (and objects of couple A for the URL parameters), then
    :meth:`run`. Each route is called as:

    * **nobody** - 401, unless listed in ``public``;
    * **the wall** - 403, unless the view is ``@require(device=True)``;
      either way it never sees the marker;
    * **another couple** (``cat``) - never a 2xx on a route whose URL names
      one of couple A's objects, never the marker, a token of couple A or a
      JSON key pointing at couple A's members or couple;
    * **the partner** (``bob``) - never the marker; never a 2xx on a route
      whose URL parameter is in ``private_params`` (Ann's own objects).

    No answer to anyone may be a 5xx, and every answer carries
    ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff``.
    Bodies: ``{}`` for every method but GET, so a write with nothing valid in
    it must be refused (4xx) and write nothing. Then, as nobody and as the
    partner, each write gets a JSON body nested 5000 deep and each GET the
    first and last dates Python can hold (``0001-01-01``, ``9999-12-31``) in
    every query parameter its OpenAPI description marks ``format: date`` or
    ``date-time``: a 4xx JSON error, never a 5xx.

    Besides, for every plugin: a wall paired just before the calls reads and
    hears none of couple A's earlier events (rule 8, :class:`LateWall`), and
    couple A stays two people, its invites refused with 409 (rule 2,
    :func:`couple_of_two_problems`).
    """

    def __init__(self, app, plugin_names: Iterable[str], modules: Iterable[Any], ann: Member, bob: Member,
                 wall: Device, cat: Member):
        self.app = app
        self.plugin_names = list(plugin_names)
        self.modules = [m for m in modules if m is not None]
        self.ann, self.bob, self.wall, self.cat = ann, bob, wall, cat
        self.marker = f"PRIVATE-MARKER-{secrets.token_hex(6)}"
        self._document: dict | None = None  # the OpenAPI document, read on first use
        self.a_members = {ann.id, bob.id}
        with app.extensions["hearthside"].storage.connection() as db:
            self.couple_a = db["members"].get(ann.id)["couple_id"]
            couple = db["couples"].get(self.couple_a)
            rows = [db["members"].get(member_id) for member_id in sorted(self.a_members)]
        # Exact JSON string values that name couple A: their usernames, display names and couple name.
        self.a_names = {couple["name"], *(row["username"] for row in rows), *(row["display_name"] for row in rows)}

    # -- which routes --------------------------------------------------------------

    def _module_names(self) -> list[str]:
        """The plugins' modules (a plugin may be a module, or an object whose class lives in one)."""
        return [getattr(module, "__name__", None) or type(module).__module__ for module in self.modules]

    def _owned(self, endpoint: str, rule: str) -> bool:
        blueprint = self.app.blueprints.get(endpoint.rsplit(".", 1)[0]) if "." in endpoint else None
        import_name = getattr(blueprint, "import_name", "") or ""
        if any(import_name == name or import_name.startswith(name + ".") for name in self._module_names()):
            return True
        return any(rule == f"/api/v1/{name}" or rule.startswith(f"/api/v1/{name}/") for name in self.plugin_names)

    def routes(self) -> list[Route]:
        """The plugin's own ``/api/v1`` routes (by blueprint module or URL prefix), in a stable order."""
        routes = []
        for rule in self.app.url_map.iter_rules():
            if not rule.rule.startswith("/api/v1/") or not self._owned(rule.endpoint, rule.rule):
                continue
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append(Route(method, rule.rule, sorted(rule.arguments), self.app.view_functions[rule.endpoint]))
        return sorted(routes, key=lambda r: (r.rule, r.method))

    # -- calling -----------------------------------------------------------------------

    @staticmethod
    def url(rule: str, fill: dict, placeholders: set[str]) -> str:
        """The rule with its parameters filled from ``fill``, else a placeholder that names nothing."""
        def value(match):
            converter, _, name = match.group(1).rpartition(":")
            if name in fill:
                return str(fill[name])
            placeholders.add(name)
            return "999999" if converter.startswith("int") else "placeholder"

        return re.sub(r"<([^>]+)>", value, rule)

    def _headers(self, role: str) -> dict:
        return {"nobody": {}, "wall": self.wall.headers, "other": self.cat.headers,
                "partner": self.bob.headers}[role]

    def _secrets(self, role: str, extra: list[str]) -> list[str]:
        private = [self.marker, *extra, self.ann.token]
        if role == "partner":
            return private
        return private + [self.bob.token, self.wall.token]

    def _foreign_ids(self, data) -> list[str]:
        found = []
        if isinstance(data, dict):
            for key, value in data.items():
                if key == "couple_id" and value == self.couple_a:
                    found.append(key)
                elif key in MEMBER_KEYS and isinstance(value, int) and value in self.a_members:
                    found.append(key)
                elif isinstance(value, str) and value in self.a_names:
                    found.append(f"{key}: a name of couple A")
                else:
                    found += self._foreign_ids(value)
        elif isinstance(data, list):
            for item in data:
                if isinstance(item, str) and item in self.a_names:
                    found.append("a name of couple A")
                else:
                    found += self._foreign_ids(item)
        return found

    def check_answer(self, role: str, route: Route, answer, *, public: set, private_params: set,
                     object_params: set, secrets_: list[str]) -> list[str]:
        """Every rule this answer breaks, as readable lines."""
        status = answer.status_code
        where = f"{role:8} {route.method:6} {route.rule} -> {status}"
        problems = [f"{where}: server error"] if status >= 500 else []
        problems += [f"{where}: no '{name}: {value}' header" for name, value in API_HEADERS.items()
                     if answer.headers.get(name) != value]
        is_public = route.label in public or (route.method, route.rule) in public
        if role == "nobody" and not is_public and status != 401:
            problems.append(f"{where}: expected 401 for an anonymous caller")
        if role == "wall" and not is_public and not getattr(route.view, "allows_device", False) and status != 403:
            problems.append(f"{where}: expected 403 for the wall (the view does not allow devices)")
        if role == "other" and set(route.params) & object_params and 200 <= status < 300:
            problems.append(f"{where}: another couple reached couple A's object")
        if role == "partner" and set(route.params) & private_params and 200 <= status < 300:
            problems.append(f"{where}: the partner reached Ann's private object")
        body = answer.get_data(as_text=True)
        problems += [f"{where}: the answer contains private text {secret[:18]!r}..."
                     for secret in secrets_ if secret and secret in body]
        if role == "other" and answer.is_json:
            problems += [f"{where}: the answer points at couple A ({key})"
                         for key in self._foreign_ids(answer.get_json())]
        return problems

    def check(self, fill: dict | None = None, *, public: Iterable = (), private_params: Iterable[str] = (),
              secrets: Iterable[str] = (), shared_params: Iterable[str] = ()) -> MatrixResult:
        """Run the matrix and return what happened (without failing); see :meth:`run`."""
        fill = dict(fill or {})
        public, private_params = set(public), set(private_params)
        result = MatrixResult()
        routes = self.routes()
        if not routes:
            raise AssertionError(f"no /api/v1 routes found for the plugin(s) {', '.join(self.plugin_names) or '?'}: "
                                 "is the plugin registered (hearthside_plugins) and its blueprint returned?")
        client = self.app.test_client()  # a client with no cookies: "nobody" must really be nobody
        late_wall = LateWall(self)  # rule 8: paired now, after everything the test seeded
        for role in ROLES:
            for route in routes:
                object_params = set(route.params) - set(shared_params)
                kwargs = {"headers": self._headers(role)}
                if route.method != "GET":
                    kwargs["json"] = {}
                answer = client.open(self.url(route.rule, fill, result.placeholders), method=route.method, **kwargs)
                result.calls.append((role, route.label, answer.status_code))
                result.problems += self.check_answer(role, route, answer, public=public, private_params=private_params,
                                                     object_params=object_params,
                                                     secrets_=self._secrets(role, list(secrets)))
        result.problems += late_wall.problems() + couple_of_two_problems(self)
        result.problems += self._hostile_input(client, routes, fill, result.placeholders)
        return result

    def _documented_dates(self, client, route: Route) -> list[tuple[str, str]]:
        """The query parameters the OpenAPI document declares as dates or date-times for ``route``."""
        from hearthside.web.openapi import openapi_path  # here: the document's module imports the app

        if self._document is None:
            self._document = client.get("/api/v1/openapi.json").get_json() or {}
        operation = self._document.get("paths", {}).get(openapi_path(route.rule)[0], {}).get(route.method.lower(), {})
        return [(parameter["name"], parameter.get("schema", {}).get("format"))
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "query" and parameter.get("schema", {}).get("format") in EDGE_VALUES]

    def _hostile_input(self, client, routes: list[Route], fill: dict, placeholders: set[str]) -> list[str]:
        """Deeply nested bodies and dates at the ends of the calendar: a 4xx JSON error, never a 5xx."""
        problems = []
        for role in ("nobody", "partner"):
            for route in routes:
                url = self.url(route.rule, fill, placeholders)
                if route.method == "GET":
                    calls = [(f"?{name}={value}", {}) for name, kind in self._documented_dates(client, route)
                             for value in EDGE_VALUES[kind]]
                else:
                    calls = [("", {"data": NESTED_JSON, "content_type": "application/json"})]
                for query, kwargs in calls:
                    answer = client.open(url + query, method=route.method, headers=self._headers(role), **kwargs)
                    if answer.status_code >= 500 or (answer.status_code >= 400 and not (
                            answer.is_json and isinstance((answer.get_json() or {}).get("error"), dict))):
                        what = query or "a JSON body nested 5000 deep"
                        problems.append(f"{role:8} {route.method:6} {route.rule} with {what} -> {answer.status_code}: "
                                        "expected a 4xx JSON error")
        return problems

    def run(self, fill: dict | None = None, *, public: Iterable = (), private_params: Iterable[str] = (),
            secrets: Iterable[str] = (), shared_params: Iterable[str] = ()) -> MatrixResult:
        """Run the matrix and fail the test on any problem, listing every one.

        ``fill`` maps URL parameter names to couple A's real objects (Ann's
        where it matters); ``public`` lists routes anybody may call
        (``"GET /api/v1/x"``); ``private_params`` are URL parameters naming
        Ann's private objects; ``secrets`` are more texts nobody else may see
        (the marker is always checked); ``shared_params`` are URL parameters
        that name nothing of couple A's (a scope name, a page number).
        """
        result = self.check(fill, public=public, private_params=private_params, secrets=secrets,
                            shared_params=shared_params)
        assert not result.problems, "privacy matrix:\n" + "\n".join(result.problems)
        if result.placeholders:
            warnings.warn("privacy matrix: no real object of couple A for URL parameter(s) "
                          + ", ".join(f"<{name}>" for name in sorted(result.placeholders))
                          + " - pass one in fill= for the object-level check", stacklevel=2)
        return result

    def probe_by_saying_yes(self, reveal: str, say_yes_to_everything, confirm=None) -> list[str]:
        """Probe a mutual reveal as the other partner would (issue 13); fail on what it lets through.

        The attack: Ann answers every item with its most open value, then
        reads the mutual results - which, under a "lowest answer counts"
        rule, are exactly Bob's own open answers. The rule every plugin with
        such a reveal is held to: right after one member opened everything,
        ``GET reveal`` shows nothing to anyone (a 4xx JSON error, for Bob a
        message telling him why) until Bob has been told and agreed. Seed
        Bob's answers and turn on the plugin's consents first;
        ``say_yes_to_everything(ann)`` makes Ann's answers all-open;
        ``confirm(bob)``, if given, is how Bob agrees after the notice - then
        the reveal must open for him. Returns the problems as readable lines.
        """
        say_yes_to_everything(self.ann)
        problems = []
        for name, member in (("ann", self.ann), ("bob", self.bob)):
            answer = member.get(reveal)
            body = answer.get_json() if getattr(answer, "is_json", True) else None
            error = body.get("error") if isinstance(body, dict) else None
            if not 400 <= answer.status_code < 500 or not isinstance(error, dict):
                problems.append(f"{name}: GET {reveal} -> {answer.status_code} right after Ann said yes to "
                                "everything; expected a 4xx JSON error until Bob is told and agrees")
            elif name == "bob" and not error.get("message"):
                problems.append(f"bob: GET {reveal} refused without telling him why")
        if confirm is not None and not problems:
            confirm(self.bob)
            answer = self.bob.get(reveal)
            if answer.status_code != 200:
                problems.append(f"bob: GET {reveal} -> {answer.status_code} after he agreed; expected 200")
        return problems

    def run_probe_by_saying_yes(self, reveal: str, say_yes_to_everything, confirm=None) -> None:
        """:meth:`probe_by_saying_yes`, failing the test on any problem."""
        problems = self.probe_by_saying_yes(reveal, say_yes_to_everything, confirm)
        assert not problems, "privacy matrix, saying yes to everything:\n" + "\n".join(problems)

    def check_sealed_answers(self, spec: dict) -> list[str]:
        """Rule 1 for one ``SEALED_ANSWERS`` spec, as problems (:func:`check_sealed_answers`)."""
        return check_sealed_answers(self, spec)

    def run_sealed_answers(self, specs: Iterable[dict] | None = None) -> list[dict]:
        """Rule 1 for every spec the plugins under test declare; fails the test on any problem."""
        return run_sealed_answers(self, specs)



# -- the matrix, rules 2 and 8: a couple is two people; a wall has no past ---------------------------


def couple_of_two_problems(matrix: PrivacyMatrix) -> list[str]:
    """Rule 2: couple A is complete, so no invite is made and nobody was added by any call.

    A third member would read, under consents that say "with my partner",
    everything either partner shares - so every plugin is checked with the
    couple at exactly two, and the matrix's "other couple" stands for anyone else.
    """
    problems = []
    answer = matrix.app.test_client().post("/api/v1/invites", headers=matrix.ann.headers)
    code = ((answer.get_json() or {}).get("error") or {}).get("code") if answer.is_json else None
    if answer.status_code != 409 or code != "couple_complete":
        problems.append(f"rule 2: POST /api/v1/invites in a couple of two -> {answer.status_code} {code or ''}; "
                        "expected 409 couple_complete")
    with matrix.app.extensions["hearthside"].storage.connection() as db:
        count = db.execute("SELECT count(*) FROM members WHERE couple_id = ?", [matrix.couple_a]).fetchone()[0]
    if count != 2:
        problems.append(f"rule 2: couple A has {count} members after the matrix's calls; a couple is two people")
    return problems


class LateWall:
    """Rule 8: a wall paired after couple A's history was written sees none of it.

    Made before the matrix's calls: a dashboard event of the past is written
    (so the check never passes for want of history), then a new wall is
    paired and its live socket connected. :meth:`problems` afterwards reads
    ``/api/v1/events?after=0`` as that wall and looks at what its socket heard:
    nothing from before its pairing may be in either.
    """

    def __init__(self, matrix: PrivacyMatrix):
        from hearthside.events import emit

        hs = matrix.app.extensions["hearthside"]
        with hs.storage.connection() as db:
            with db.atomic():
                emit(db, "privacy_matrix.before_pairing", matrix.couple_a, {}, visibility="dashboard")
            self.newest_before = db.execute("SELECT max(id) FROM events").fetchone()[0]
        self.device = pair_device(matrix.ann, "Wall paired late")
        self.socket = connect_socket(matrix.app, self.device.token)

    def problems(self) -> list[str]:
        answer = self.device.get("/api/v1/events?after=0&limit=500")
        read = answer.get_json()["events"] if answer.status_code == 200 else []
        heard = self.socket.events()
        self.socket.disconnect()
        return [f"rule 8: a wall paired late {how} the earlier event {event['type']!r} ({event['id']})"
                for how, events in (("read through /api/v1/events", read), ("heard live", heard))
                for event in events if event["id"] <= self.newest_before]
