"""Pytest fixtures for Hearthside plugins: ``hearthside.testing``.

Installed with Hearthside and registered as a pytest plugin through the
``pytest11`` entry point, so a plugin's tests get these fixtures with no
import and no ``conftest.py``. Name the plugin under test in its
``pyproject.toml``::

    [tool.pytest.ini_options]
    hearthside_plugins = ["gratitude_jar"]   # entry-point names (pip install -e . first)
    # or "gratitude_jar=hearthside_gratitude_jar" to import a module directly

(or override the ``hearthside_plugins`` fixture to return ``{name: module}``).
Each test's app then runs the core and exactly those plugins - never
whatever else happens to be installed - on a fresh temporary data folder.

Fixtures (each built only when a test asks for it):

``make_app``, ``app``, ``client``, ``hs``
    apps on the test's data folder; ``make_app(flags={...})`` sets config
    values, e.g. ``{"plugins.gratitude_jar.draw_hour": 21}``.
``couple`` / ``ann``, ``bob``
    a couple of two members signed up through the real API, as
    :class:`Member` clients (``ann.post("/api/v1/...", json={...})``).
``wall``
    a dashboard device paired to that couple (a :class:`Device`).
``other_couple``
    a second couple on the same server (``cat, dan``).
``sockets``
    Socket.IO test clients connected as ``ann``, ``bob``, the ``wall`` and
    ``cat``: ``sockets.bob.events()``, ``sockets.heard_by(text)``.
``clock``, ``scheduler``
    a controllable clock and the app's scheduled jobs on it, run only when
    the test says (``scheduler.advance(hours=1)``): no background thread.
``privacy_matrix``
    calls every ``/api/v1`` route of the plugin as nobody, as the wall, as
    another couple and as the partner, and fails on anything that crosses.
``chromium``
    real Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright) for
    page tests against a real server; open pages with :func:`new_page` and a
    :class:`BrowserGuard`. Skipped with the reason where no browser is
    installed; with ``REQUIRE_BROWSER_TESTS=1`` (CI) a missing browser fails.

Passwords in the test's own apps are hashed with argon2id at its lowest cost
(:data:`QUICK_PASSWORD_HASHING`), because the real cost - ~25 ms a hash, on
purpose - made up a third of the suite's time. Real ``hearthside serve``
processes always use the real parameters; mark a test
``@pytest.mark.real_password_hashing`` to keep them in process too.

The docs are ``docs/plugins/testing.md``. This repository's own tests use the
same fixtures (``tests/conftest.py``).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import re
import secrets
import shutil
import socket
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import pytest

PASSWORD = "correct horse battery"
QUICK_PASSWORD_HASHING = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
INI_PLUGINS = "hearthside_plugins"
ENTRY_POINT_GROUP = "hearthside.plugins"


# -- helpers that need no fixture ----------------------------------------------------------


def free_port() -> int:
    """A free TCP port on the loopback interface (for a real server process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HttpAnswer:
    """A ``requests`` response that reads like a Flask test response (``status_code``, ``json``)."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.json = response.json() if response.content else None

    def get_json(self):
        return self.json


class HttpClient:
    """Flask's test-client calls over real HTTP to a running ``hearthside serve``.

    So the same helpers (:func:`onboard_couple`, :func:`pair_device`,
    :class:`Member`) set up a couple on a real server as on an in-process app.
    """

    def __init__(self, base_url: str, timeout: float = 30):
        import requests  # a test dependency: only where a real server is used

        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()
        # A kept-alive connection holds a stopping server for gunicorn's linger
        # (2 s): tests that stop their server mid-test would wait for it.
        self.session.headers["Connection"] = "close"

    def _call(self, method, path, headers=None, json=None) -> HttpAnswer:
        return HttpAnswer(self.session.request(method, self.base_url + path, headers=headers, json=json,
                                               timeout=self.timeout))

    def get(self, path, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self._call("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self._call("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self._call("DELETE", path, **kwargs)


class Member:
    """A signed-up member and a way to call the API as them (a bearer token)."""

    def __init__(self, client, token: str, member: dict):
        self.client = client
        self.token = token
        self.id = member["id"]
        self.username = member["username"]
        self.display_name = member.get("display_name", self.username)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(path, headers=self.headers, **kwargs)

    def put(self, path, **kwargs):
        return self.client.put(path, headers=self.headers, **kwargs)

    def patch(self, path, **kwargs):
        return self.client.patch(path, headers=self.headers, **kwargs)

    def delete(self, path, **kwargs):
        return self.client.delete(path, headers=self.headers, **kwargs)

    def grant(self, scope: str, granted: bool = True):
        """Grant (or revoke) a consent scope for this member; fails the test if the API says no."""
        answer = self.put(f"/api/v1/consents/{scope}", json={"granted": granted})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()


class Device(Member):
    """A paired dashboard device (the wall screen): it can read only dashboard-visible data."""

    def __init__(self, client, token: str, device_id: int, name: str):
        super().__init__(client, token, {"id": device_id, "username": name, "display_name": name})
        self.name = name


def onboard_couple(client, first="ann", second="bob", couple_name="Ann & Bob") -> tuple[Member, Member]:
    """The first couple on a fresh server, through the real API: onboarding, invite, accept."""
    answer = client.post("/api/v1/onboarding", json={
        "couple": {"name": couple_name, "time_zone": "Europe/Berlin"},
        "member": {"username": first, "password": PASSWORD, "display_name": first.title()},
    })
    assert answer.status_code == 201, answer.json
    a = Member(client, answer.json["token"], answer.json["member"])
    code = a.post("/api/v1/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": second, "password": PASSWORD, "display_name": second.title()})
    assert answer.status_code == 201, answer.json
    return a, Member(client, answer.json["token"], answer.json["member"])


def mentions(text: str, word: str) -> bool:
    """Whether ``word`` appears in ``text`` as a word of its own.

    Use it to assert that a short name is *not* on a page: ``"Bob" not in html``
    fails now and then, because a page carries random tokens (CSRF, invite and
    pairing codes) that can spell any three letters. A token's characters
    around the match make it part of the token, not a mention.
    """
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(word)}(?![A-Za-z0-9_-])", text) is not None


def join_new_couple(client, admin: Member, first="cat", second="dan") -> tuple[Member, Member]:
    """A second couple on the same server, through an admin's new-couple invite."""
    answer = admin.post("/api/v1/admin/invites")
    assert answer.status_code == 201, answer.json
    answer = client.post(f"/api/v1/invites/{answer.json['code']}/accept", json={
        "username": first, "password": PASSWORD, "display_name": first.title(),
        "couple": {"name": "Cat & Dan", "time_zone": "Europe/London"}})
    assert answer.status_code == 201, answer.json
    c = Member(client, answer.json["token"], answer.json["member"])
    code = c.post("/api/v1/invites").json["code"]
    answer = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": second, "password": PASSWORD, "display_name": second.title()})
    assert answer.status_code == 201, answer.json
    return c, Member(client, answer.json["token"], answer.json["member"])


def pair_device(member: Member, name: str = "Living-room wall") -> Device:
    """Create a dashboard device as ``member``'s couple and claim it with its one-time code."""
    created = member.post("/api/v1/devices", json={"name": name})
    assert created.status_code == 201, created.json
    claimed = member.client.post("/api/v1/devices/claim", json={"pairing_code": created.json["pairing_code"]})
    assert claimed.status_code == 201, claimed.json
    return Device(member.client, claimed.json["token"], created.json["id"], name)


def sign_in_browser(app, member: Member, password: str = PASSWORD):
    """A new test client signed in as ``member`` with a browser session (to fetch pages)."""
    browser = app.test_client()
    answer = browser.post("/api/v1/auth/session", json={"username": member.username, "password": password})
    assert answer.status_code == 200, answer.get_json()
    return browser


def load_plugins(specs: Iterable[str]) -> dict[str, Any]:
    """``{name: module}`` for entry-point names (``"gratitude_jar"``) or ``"name=module.path"``."""
    from importlib.metadata import entry_points

    plugins: dict[str, Any] = {}
    for spec in specs:
        spec = spec.strip()
        if not spec:
            continue
        if "=" in spec:
            name, module = (part.strip() for part in spec.split("=", 1))
            plugins[name] = importlib.import_module(module)
            continue
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == spec]
        if not found:
            raise pytest.UsageError(
                f"The plugin {spec!r} named in {INI_PLUGINS} is not installed. Install it with "
                f"`pip install -e .` in its folder (its pyproject.toml must list it under "
                f"[project.entry-points.\"{ENTRY_POINT_GROUP}\"]), or write {spec}=<module> to import it directly.")
        plugins[spec] = found[0].load()
    return plugins


# -- Socket.IO ----------------------------------------------------------------------------------


class LiveClient:
    """One Socket.IO test client: the live ``event`` messages it has heard so far."""

    def __init__(self, sio):
        self.sio = sio
        self._heard: list[dict] = []

    def _drain(self) -> None:
        self._heard += [m["args"][0] for m in self.sio.get_received() if m["name"] == "event"]

    def events(self, type: str | None = None) -> list[dict]:
        """Every event heard since connecting (or the last :meth:`clear`), optionally of one type.

        A ``type`` ending in ``.`` matches a prefix: ``events("gratitude_jar.")``.
        """
        self._drain()
        if type is None:
            return list(self._heard)
        return [e for e in self._heard if e["type"] == type or (type.endswith(".") and e["type"].startswith(type))]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def clear(self) -> None:
        self._drain()
        self._heard = []

    @property
    def connected(self) -> bool:
        return self.sio.is_connected()

    def disconnect(self) -> None:
        if self.sio.is_connected():
            self.sio.disconnect()


def connect_socket(app, token: str | None) -> LiveClient:
    """A Socket.IO test client authenticated with ``token`` (Flask-SocketIO's, no network)."""
    socketio = app.extensions["socketio"]
    return LiveClient(socketio.test_client(app, auth={"token": token} if token is not None else None))


class Sockets:
    """Live clients by name (``sockets.ann``, ``sockets["wall"]``) and who heard what."""

    def __init__(self, app):
        self.app = app
        self.clients: dict[str, LiveClient] = {}

    def connect(self, name: str, token: str) -> LiveClient:
        client = connect_socket(self.app, token)
        assert client.connected, f"the live stream refused {name}'s token"
        client.clear()
        self.clients[name] = client
        return client

    def __getattr__(self, name: str) -> LiveClient:
        try:
            return self.__dict__["clients"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> LiveClient:
        return self.clients[name]

    def heard_by(self, text: str) -> set[str]:
        """The names of the clients that received any event whose JSON contains ``text``."""
        return {name for name, client in self.clients.items() if text in json.dumps(client.events())}

    def who_heard(self, type: str) -> set[str]:
        """The names of the clients that received an event of this type (or ``prefix.``)."""
        return {name for name, client in self.clients.items() if client.events(type)}

    def clear(self) -> None:
        for client in self.clients.values():
            client.clear()

    def close(self) -> None:
        for client in self.clients.values():
            client.disconnect()


# -- the clock and the scheduler -------------------------------------------------------------


class FakeClock:
    """A clock the test moves: call it for "now" (an aware UTC datetime)."""

    def __init__(self, now: datetime | None = None):
        start = now or datetime.now(timezone.utc).replace(microsecond=0)
        self.now = self._aware(start)

    @staticmethod
    def _aware(when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("the clock needs an aware datetime (with tzinfo), e.g. datetime(..., tzinfo=timezone.utc)")
        return when.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = self._aware(when)
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``: ``clock.advance(hours=2)``."""
        self.now += timedelta(**delta)
        return self.now


class SchedulerDriver:
    """The app's scheduled jobs on the test's clock, run when the test says so.

    Built like ``hs.start_scheduler(clock=...)`` - the same jobs from every
    plugin's ``hearthside_scheduled_jobs``, the same run records - but no
    background thread is started, so nothing runs behind the test's back.
    It is set as ``hs.scheduler``: a job reads "now" from
    ``hs.scheduler.clock()`` and so follows the test's clock.
    """

    def __init__(self, hs, clock: FakeClock):
        from hearthside.scheduler import Scheduler

        self.hs = hs
        self.clock = clock
        jobs = [job for jobs in hs.plugins.call("hearthside_scheduled_jobs", hs=hs) for job in jobs or ()]
        self.scheduler = Scheduler(hs, jobs, clock=clock)
        self._previous = getattr(hs, "scheduler", None)
        hs.scheduler = self.scheduler

    @property
    def job_ids(self) -> list[str]:
        return sorted(self.scheduler.jobs)

    def run(self, job_id: str) -> None:
        """Run one job now (as its trigger would), whatever its schedule says."""
        if job_id not in self.scheduler.jobs:
            raise KeyError(f"no scheduled job {job_id!r}; the jobs are: {', '.join(self.job_ids) or 'none'}")
        self.scheduler.run_job(job_id)

    def run_due(self) -> list[str]:
        """Run once every job whose next slot since its last run has come; returns their ids.

        A job seen for the first time starts its record now without running,
        as when the real scheduler starts.
        """
        now = self.clock()
        ran = []
        for job in self.scheduler.jobs.values():
            if self.scheduler.last_run(job.id) is None:
                self.scheduler._record_run(job.id, now)
            elif self.scheduler.missed(job, now):
                self.scheduler.run_job(job.id)
                ran.append(job.id)
        return ran

    def advance(self, **delta: float) -> list[str]:
        """Move the clock forward (``hours=2``) and run what became due."""
        self.clock.advance(**delta)
        return self.run_due()

    def close(self) -> None:
        if self.hs.scheduler is self.scheduler:
            self.hs.scheduler = self._previous


# -- the privacy matrix -------------------------------------------------------------------------

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
        from .web.openapi import openapi_path  # here: the document's module imports the app

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


# -- rule 1: answers to a shared occurrence stay sealed until both answered ----------------------------------
#
# A plugin opts in by naming, in its module, the shared objects both members answer
# (a check-in occurrence, a question asked of both) as plain data - no test code:
#
#     SEALED_ANSWERS = [{
#         "name": "a check-in",
#         "scopes": ["rituals.checkin_reveal"],              # granted by both first: consent must not be the lock
#         "create": ["POST", "/api/v1/rituals", {"template": "checkin", "start": "2024-03-03T19:00"}],
#         "answer": ["PUT", "/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/checkin",
#                    {"answers": {"hard": "{text}"}}],
#         "reads": ["/api/v1/rituals/{id}/occurrences/2024-03-03T19:00/checkin/reveal"],
#         "moves": [["PATCH", "/api/v1/rituals/{id}", {"participants": ["{partner}"]}]],
#     }]
#
# ``{...}`` in paths and bodies is filled from the create answer's top-level keys plus
# ``{text}`` (the answer's secret), ``{me}`` (the caller's member id) and ``{partner}``;
# a string that is exactly one placeholder becomes the value itself (an int stays an int).

SEALED_READS = ("/api/v1/events?limit=500", "/api/v1/me/export")  # read by the member, besides the spec's
WALL_READS = ("/api/v1/dashboard", "/api/v1/events?limit=500")


def sealed_answer_specs(modules: Iterable[Any]) -> list[dict]:
    """Every ``SEALED_ANSWERS`` spec the plugins' modules declare."""
    return [spec for module in modules for spec in getattr(module, "SEALED_ANSWERS", ()) or ()]


def _filled(value, names: dict):
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        return names[whole.group(1)] if whole else value.format(**names)
    if isinstance(value, list):
        return [_filled(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, names) for key, item in value.items()}
    return value


def _sealed_call(member: Member, step, names: dict):
    method, path, *body = step
    kwargs = {"json": _filled(body[0], names)} if body else {}
    return member.client.open(_filled(path, names), method=method, headers=member.headers, **kwargs)


def _sealed_reads(matrix: "PrivacyMatrix", spec: dict, member: Member, names: dict) -> str:
    paths = [_filled(path, names) for path in (*spec.get("reads", ()), *SEALED_READS)]
    texts = [member.get(path).get_data(as_text=True) for path in paths]
    return "\n".join(texts + [matrix.wall.get(path).get_data(as_text=True) for path in WALL_READS])


def check_sealed_answers(matrix: "PrivacyMatrix", spec: dict) -> list[str]:
    """Rule 1 of docs/security.md for one spec, as problems: Bob answers, Ann does not.

    Ann may do every ``move`` (edit who takes part, mark it done, move it...);
    after each, no read of hers and nothing on the wall may hold Bob's answer.
    Then Ann answers, and the two answers must reach each other (unless the
    spec says ``"revealed": False``), which proves the reads look in the right
    place. The wall never holds either answer.
    """
    ann, bob, name = matrix.ann, matrix.bob, spec.get("name", "sealed answers")
    for scope in spec.get("scopes", ()):
        ann.grant(scope)
        bob.grant(scope)
    created = _sealed_call(ann, spec["create"], {"me": ann.id, "partner": bob.id})
    if not 200 <= created.status_code < 300:
        return [f"{name}: create answered {created.status_code}: {created.get_data(as_text=True)[:200]}"]
    made = created.get_json() if isinstance(created.get_json(), dict) else {}
    secret_a, secret_b = f"{matrix.marker}-ann-answer", f"{matrix.marker}-bob-answer"
    as_ann = {**made, "me": ann.id, "partner": bob.id, "text": secret_a}
    as_bob = {**made, "me": bob.id, "partner": ann.id, "text": secret_b}
    problems = []
    answered = _sealed_call(bob, spec["answer"], as_bob)
    if not 200 <= answered.status_code < 300:
        return [f"{name}: Bob's answer was refused ({answered.status_code}): {answered.get_data(as_text=True)[:200]}"]
    for step in [None, *spec.get("moves", ())]:
        label = "before anything else" if step is None else f"after Ann's {' '.join(map(json.dumps, step))}"
        if step is not None:
            status = _sealed_call(ann, step, as_ann).status_code
            if status >= 500:
                problems.append(f"{name}: {label} -> {status}: server error")
        if secret_b in _sealed_reads(matrix, spec, ann, as_ann):
            problems.append(f"{name}: {label}, Ann (who has not answered) or the wall read Bob's answer")
    answered = _sealed_call(ann, spec["answer"], as_ann)
    if not 200 <= answered.status_code < 300:
        return problems + [f"{name}: after the moves, Ann could not answer ({answered.status_code}): "
                           "end the moves where both take part"]
    seen_by_ann, seen_by_bob = _sealed_reads(matrix, spec, ann, as_ann), _sealed_reads(matrix, spec, bob, as_bob)
    wall = "\n".join(matrix.wall.get(path).get_data(as_text=True) for path in WALL_READS)
    if secret_a in wall or secret_b in wall:
        problems.append(f"{name}: the wall read an answer")
    if spec.get("revealed", True) and not (secret_b in seen_by_ann and secret_a in seen_by_bob):
        problems.append(f"{name}: after both answered, their reads still do not show each other's answer: "
                        "are the spec's 'reads' the routes that reveal?")
    return problems


def run_sealed_answers(matrix: "PrivacyMatrix", specs: Iterable[dict] | None = None) -> list[dict]:
    """Check every spec (default: those the plugins under test declare); fail the test on any problem."""
    specs = list(sealed_answer_specs(matrix.modules) if specs is None else specs)
    problems = [problem for spec in specs for problem in check_sealed_answers(matrix, spec)]
    assert not problems, "privacy matrix, sealed answers:\n" + "\n".join(problems)
    return specs


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


# -- the pytest plugin ----------------------------------------------------------------------------


# -- real Chromium ---------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("HEARTHSIDE_CHROMIUM", "/usr/bin/chromium")
# Headless, and quiet on a closed network: no background calls to Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1280, "height": 800}}
LIVE_TIMEOUT_MS = 5000  # "at once" on a page; the websocket itself takes milliseconds
SCREENSHOTS = Path(os.environ.get("HEARTHSIDE_SCREENSHOTS", "/tmp"))  # page tests leave pictures here for a human


def missing_browser() -> str | None:
    """Why page tests cannot run here, or None when Playwright and Chromium are both installed."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


class BrowserGuard:
    """Collects requests that leave the server and errors thrown in pages: both should stay empty.

    Nothing a page loads may come from outside the home server (cardinal: nothing
    leaves the house), and a script error is a broken page even when it looks fine.
    """

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.outside: list[str] = []
        self.errors: list[str] = []

    def watch(self, context):
        context.on("request", self._request)
        context.on("page", lambda page: page.on("pageerror", lambda exc: self.errors.append(str(exc))))
        return context

    def _request(self, request):
        url = request.url
        if not (url.startswith(self.base_url) or url.startswith(self.base_url.replace("http", "ws", 1))
                or url.startswith(("data:", "blob:", "about:"))):
            self.outside.append(url)


def new_page(chromium, guard: BrowserGuard, **options):
    """A page in a fresh browser context (its own cookies: one person's phone) watched by ``guard``."""
    context = guard.watch(chromium.new_context(base_url=guard.base_url, **options))
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def wait_until_live(page, timeout_ms: int = 10000) -> None:
    """The page's Socket.IO connection is up, so events sent from now on reach it."""
    page.wait_for_function("() => window.Hearthside && Hearthside.socket && Hearthside.socket.connected",
                           timeout=timeout_ms)


def pytest_addoption(parser) -> None:
    parser.addini(INI_PLUGINS, type="args", default=[],
                  help="Hearthside plugins under test: entry-point names, or name=module (hearthside.testing)")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "browser: drives real Chromium (set on every test using the chromium "
                                       "fixture); -m 'not browser' leaves them out")


    config.addinivalue_line("markers", "real_password_hashing: hash passwords at the production cost "
                                       "in this test's apps (the kit lowers it otherwise)")


def pytest_collection_finish(session) -> None:
    """Leave what collection built (modules, test items, fixtures) out of every later garbage collection.

    Each test builds an app: thousands of short-lived objects, so Python's
    collector runs often, and a full pass walks every object the test run
    holds. Frozen, those are skipped: app builds take a third of the time.
    """
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items) -> None:
    """Mark every test that uses the ``chromium`` fixture ``browser``, so a quick lane can leave them out."""
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _quick_password_hashing(request, monkeypatch) -> None:
    """Argon2id at its lowest cost in this process, unless the test is marked ``real_password_hashing``.

    The cost is written into each hash, so hashes of either cost verify; only
    what a test asserts about the parameters themselves needs the marker.
    """
    if request.node.get_closest_marker("real_password_hashing"):
        return
    from argon2 import PasswordHasher

    from hearthside import accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(**QUICK_PASSWORD_HASHING))


@pytest.fixture
def hearthside_plugins(request) -> dict[str, Any]:
    """The plugins under test, ``{name: module}``; from the ``hearthside_plugins`` ini option by default."""
    try:
        specs = request.config.getini(INI_PLUGINS)
    except ValueError:  # registered after the ini options were read (autoloading off): none named
        specs = []
    return load_plugins(specs)


@pytest.fixture
def hearthside_discover_installed() -> bool:
    """Also load every installed plugin into each app (off: the core and the plugins under test only)."""
    return False


@pytest.fixture
def data_dir(tmp_path):
    """The app's data folder: the database, backups and the secret key of this test only."""
    return tmp_path / "data"


class MigratedDatabases:
    """Databases the migrations made, one per plugin set, copied into each new data folder.

    A fresh app applies every migration of the core and its plugins, each in
    its own fsynced transaction - about a third of building an app. The first
    app of a kind in a session applies them for real; later apps of the same
    kind (same plugins, flags and environment) start from a copy of its
    freshly migrated database, which holds nothing but the schema and the
    migrations' own records. A data folder that already has a database, or
    one named by the test's flags or config, is never touched.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict[str, Path] = {}

    @staticmethod
    def kind(plugins: dict, installed: bool, flags: dict | None, env: dict | None) -> str:
        names = sorted(f"{name}={getattr(plugin, '__name__', type(plugin).__name__)}"
                       for name, plugin in plugins.items())
        return repr((names, installed, sorted((flags or {}).items(), key=repr), sorted((env or {}).items())))

    def copy_into(self, kind: str, data_dir: Path) -> bool:
        template = self.made.get(kind)
        database = data_dir / "hearthside.db"
        if template is None or database.exists():
            return False
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, database)
        return True

    def keep(self, kind: str, app) -> None:
        template = self.folder / f"migrated-{len(self.made)}.db"
        app.extensions["hearthside"].storage.backup(template)
        self.made[kind] = template


@pytest.fixture(scope="session")
def _migrated_databases(tmp_path_factory) -> MigratedDatabases:
    return MigratedDatabases(tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def make_app(data_dir, hearthside_plugins, hearthside_discover_installed, _migrated_databases):
    """Build apps on the test's data folder, isolated from the caller's environment and config.

    ``make_app(extra_plugins={...}, flags={...}, config_file=None, env=None, discover_installed=None)``.
    The core's scheduled backup is off (``backups.schedule: off``) unless the test sets it, so
    ``scheduler.advance(...)`` runs the plugin's own jobs only.
    """
    from hearthside.app import create_app
    from hearthside.plugin_manager import discover

    built = []

    def factory(extra_plugins=None, flags=None, config_file=None, env=None, discover_installed=None):
        installed = hearthside_discover_installed if discover_installed is None else discover_installed
        plugins = {**hearthside_plugins, **(extra_plugins or {})}
        if installed:  # registered through its entry point already: never twice
            found = {candidate.name for candidate in discover()}
            plugins = {name: plugin for name, plugin in plugins.items()
                       if name not in found or name in (extra_plugins or {})}
        kind = MigratedDatabases.kind(plugins, installed, flags, env)
        own_folder = config_file is None and "data_dir" not in (flags or {}) \
            and not any(name.endswith("DATA_DIR") for name in (env or {}))
        fresh = own_folder and not (data_dir / "hearthside.db").exists()
        copied = fresh and _migrated_databases.copy_into(kind, data_dir)
        # The core's scheduled backup stays out of a plugin's scheduler unless the test turns it on.
        if config_file is None and "HEARTHSIDE_BACKUPS__SCHEDULE" not in (env or {}):
            flags = {"backups.schedule": "off", **(flags or {})}
        app = create_app(config_file, env=env or {}, flags={"data_dir": str(data_dir), **(flags or {})},
                         extra_plugins=plugins, discover_installed=installed)
        if fresh and not copied:
            _migrated_databases.keep(kind, app)
        built.append(app)
        return app

    yield factory
    for app in built:
        app.extensions["hearthside"].shutdown()


@pytest.fixture
def app(make_app):
    """An app with the core and the plugins under test, on a fresh data folder."""
    return make_app()


@pytest.fixture
def hs(app):
    """The runtime of ``app`` (what hooks receive as ``hs``)."""
    return app.extensions["hearthside"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def couple(client):
    """Two members of one couple, signed up through the API: ``ann, bob = couple``."""
    return onboard_couple(client)


@pytest.fixture
def ann(couple) -> Member:
    return couple[0]


@pytest.fixture
def bob(couple) -> Member:
    return couple[1]


@pytest.fixture
def wall(couple) -> Device:
    """A dashboard device paired to ``couple`` (it reads only what the wall may show)."""
    return pair_device(couple[0])


@pytest.fixture
def other_couple(client, couple) -> tuple[Member, Member]:
    """A second couple on the same server: ``cat, dan = other_couple``."""
    return join_new_couple(client, couple[0])


@pytest.fixture
def sockets(app, couple, wall, other_couple):
    """Socket.IO test clients connected as ann, bob, the wall and cat (another couple)."""
    ann, bob = couple
    live = Sockets(app)
    live.connect("ann", ann.token)
    live.connect("bob", bob.token)
    live.connect("wall", wall.token)
    live.connect("cat", other_couple[0].token)
    yield live
    live.close()


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves (``clock.advance(hours=1)``, ``clock.set(datetime)``); starts at the real now."""
    return FakeClock()


@pytest.fixture
def scheduler(app, clock):
    """The app's scheduled jobs on ``clock``, run by the test: ``scheduler.advance(hours=1)``."""
    driver = SchedulerDriver(app.extensions["hearthside"], clock)
    yield driver
    driver.close()


@pytest.fixture
def privacy_matrix(app, couple, wall, other_couple, hearthside_plugins) -> PrivacyMatrix:
    """The privacy matrix over the plugins' own routes; seed data with ``.marker``, then ``.run(fill=...)``."""
    return PrivacyMatrix(app, hearthside_plugins, hearthside_plugins.values(), couple[0], couple[1], wall,
                         other_couple[0])


__all__ = [
    "PASSWORD", "Member", "Device", "onboard_couple", "join_new_couple", "mentions", "pair_device", "free_port",
    "sign_in_browser",
    "load_plugins", "LiveClient", "Sockets", "connect_socket", "FakeClock", "SchedulerDriver",
    "PrivacyMatrix", "MatrixResult", "Route", "HttpClient", "HttpAnswer",
    "sealed_answer_specs", "check_sealed_answers", "run_sealed_answers",
    "CHROMIUM", "PHONE", "TABLET", "LIVE_TIMEOUT_MS", "SCREENSHOTS", "missing_browser", "BrowserGuard", "new_page",
    "wait_until_live",
]


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium browser, shared by a module's tests (each opens its own contexts)."""
    reason = missing_browser()
    if reason:
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
            pytest.fail(f"REQUIRE_BROWSER_TESTS=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
