"""Property-based fuzzing of the whole API from its own ``/api/v1/openapi.json``.

Schemathesis reads the document the server publishes and sends generated
requests - valid ones and deliberately broken ones - to every operation, in
process (WSGI), as three callers:

* **a member** (Ann, the admin of the first couple),
* **the paired wall screen** (its device token may read only the dashboard),
* **nobody** (no credentials at all).

Every answer must hold up: never a 5xx, only documented status codes, JSON
bodies that match the documented response schemas, every 4xx shaped
``{"error": {"code", "message"}}`` (cardinal rule 6), and no answer may carry a
traceback, the partner's or another couple's private text, or their tokens.

The world is realistic so that path parameters can hit real objects: two
couples, a paired wall, rituals with an occurrence and homework, transparency
entries, questions, rule proposals, an agreement, a review, touch sessions,
a calendar feed and invites. About half the generated cases
have their path parameters swapped for those real ids
(``real_path_parameters``).

The default run is bounded (part of CI, about a minute on two cores) and
repeatable (``derandomize``): 32 examples per operation for the member, 16
for the wall and nobody on what they may call, 3 on what they may not (those
answer 401 / 403 whatever the input). A deeper, random run is one command::

    HEARTHSIDE_FUZZ_EXAMPLES=300 .venv/bin/python -m pytest -p no:cacheprovider tests/test_fuzz.py

where the number is the member's examples per operation (the wall and nobody
get half); any number above the default also turns ``derandomize`` off, so
every long run explores new inputs.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hearthside import devices
from hearthside.app import create_app
from hearthside.auth import Principal, issue_token, principal_for
from hearthside.events import emit
from hearthside.testing import join_new_couple, onboard_couple, pair_device
from hearthside.web.openapi import openapi_path
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES

DEFAULT_EXAMPLES = 32
REFUSED_EXAMPLES = 3  # for operations the caller may not use at all (401 / 403 whatever the input)
EXAMPLES = int(os.environ.get("HEARTHSIDE_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
LONG_RUN = EXAMPLES > DEFAULT_EXAMPLES

BOB_SECRET = "FUZZ-PRIVATE-only-bob-may-read-this"
ANN_SECRET = "FUZZ-PRIVATE-only-ann-may-read-this"
CAT_SECRET = "FUZZ-PRIVATE-only-cat-may-read-this"
TRACEBACK_SIGNS = ("Traceback (most recent call last)", 'File "/', "sqlite3.", "werkzeug.exceptions")

pytestmark = pytest.mark.slow  # schemathesis over the whole API: the longest test here


@pytest.fixture
def hearthside_plugins():
    """This file's apps also declare the event types its tests emit (tests/support/event_types.py)."""
    return dict(TEST_EVENT_TYPES)


def fuzz_settings(examples: int):
    """Hypothesis settings for one caller: bounded and repeatable unless a long run was asked for."""
    return settings(
        max_examples=max(1, examples),
        deadline=None,
        derandomize=not LONG_RUN,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=LONG_RUN,
    )


# -- dates and times at the ends of the calendar ------------------------------------------------------

# Schemathesis's own date strings stay in ordinary years; the overflows live at the ends of the
# calendar (issue 13: ``?from=9999-12-30`` plus a fortnight raised OverflowError, a 500). Every
# ``format: date`` and ``format: date-time`` string of the document is drawn from these instead: about
# half at the very ends, with offsets that push an instant past year 1 or 9999 when converted.
EDGE_DAYS = [date.min, date.min + timedelta(days=1), date.max - timedelta(days=1), date.max]
EDGE_OFFSETS = [timezone.utc, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12)),
                timezone(timedelta(hours=23, minutes=59)), timezone(-timedelta(hours=23, minutes=59))]


def dates_to_the_ends():
    """ISO dates, half of them the first or last two days Python can hold."""
    return st.one_of(st.sampled_from(EDGE_DAYS), st.dates()).map(date.isoformat)


def times_to_the_ends():
    """ISO date-times with an offset, half of them on the first or last two days Python can hold."""
    days = st.one_of(st.sampled_from(EDGE_DAYS), st.dates())
    return st.builds(lambda day, clock, zone: datetime.combine(day, clock, zone).isoformat(),
                     days, st.times().map(lambda moment: moment.replace(microsecond=0)), st.sampled_from(EDGE_OFFSETS))


schemathesis.openapi.format("date", dates_to_the_ends())
schemathesis.openapi.format("date-time", times_to_the_ends())


# -- the world ---------------------------------------------------------------------------------


class Caller:
    """Who sends the fuzzed requests, with a token that is renewed if a fuzzed call revoked it.

    A generated ``DELETE /api/v1/tokens/1`` or ``DELETE /api/v1/devices/1`` may
    well hit the caller's own token or the wall itself: that is correct
    behaviour, and the run goes on with a fresh token minted straight in the
    database (over HTTP the sign-in or pairing may be rate limited by then,
    which is correct behaviour too).
    """

    def __init__(self, name: str, hs, couple_id: int, member_id: int | None, token: str | None,
                 secrets: dict[str, str]):
        self.name = name
        self.hs = hs
        self.couple_id = couple_id
        self.member_id = member_id
        self.token = token
        self.secrets = secrets
        self.calls = 0
        self.statuses: dict[int, int] = {}
        self.seen: dict[str, set[int]] = {}  # the statuses each operation answered

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def renew_if_revoked(self) -> None:
        """A fresh token if the fuzzed call revoked this one (a 401 alone may just be a bad sign-in)."""
        with self.hs.storage.connection() as db:
            if principal_for(db, self.token) is not None:
                return
            if self.name == "member":
                with db.atomic():
                    self.token = issue_token(db, kind="api", name="fuzz", couple_id=self.couple_id,
                                             member_id=self.member_id)
            else:
                principal = Principal("member", self.couple_id, 0, self.member_id)
                code = devices.create(db, principal, "Fuzzed wall", 10)["pairing_code"]
                self.token = devices.claim(db, code)[1]

    def call_and_validate(self, case) -> None:
        response = case.call_and_validate(headers=self.headers, checks=CHECKS, additional_checks=[
            error_bodies_are_json_errors, no_tracebacks, leaks_nothing(self.secrets)])
        self.calls += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        self.seen.setdefault(case.operation.label, set()).add(response.status_code)
        if self.token and response.status_code == 401:
            self.renew_if_revoked()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Two couples with a wall and one of everything, and the three callers."""
    app = create_app(None, env={}, extra_plugins=dict(TEST_EVENT_TYPES), flags={"data_dir": str(tmp_path_factory.mktemp("fuzz") / "data")})
    hs = app.extensions["hearthside"]
    client = app.test_client()
    ann, bob = onboard_couple(client)
    cat, dan = join_new_couple(client, ann)
    wall = pair_device(ann)
    with hs.storage.connection() as db, db.atomic():
        couple_a = db["members"].get(ann.id)["couple_id"]
        couple_b = db["members"].get(cat.id)["couple_id"]
        emit(db, "test.journal_saved", couple_a, {"text": BOB_SECRET}, visibility="private", audience_id=bob.id)
        emit(db, "test.journal_saved", couple_a, {"text": ANN_SECRET}, visibility="private", audience_id=ann.id)
        emit(db, "test.journal_saved", couple_b, {"text": CAT_SECRET}, visibility="private", audience_id=cat.id)
    fill = seed_objects(hs, ann, bob, cat)
    fill["token_id"] = [made(ann.post("/api/v1/tokens", json={"name": "fuzz-laptop"}))["id"]]
    fill["device_id"] = [wall.id]
    fill["code"] = [made(ann.post("/api/v1/admin/invites"))["code"] for _ in range(3)]  # couple A is complete
    # What each caller may never see: the partner's and the other couple's private text and tokens,
    # and, for the wall and nobody, Ann's too.
    others = {"Bob's private journal": BOB_SECRET, "Cat's private journal": CAT_SECRET, "Bob's token": bob.token,
              "Cat's token": cat.token, "Dan's token": dan.token}
    anns = {"Ann's private journal": ANN_SECRET, "Ann's token": ann.token}
    callers = {
        "member": Caller("member", hs, couple_a, ann.id, ann.token, others),
        "device": Caller("device", hs, couple_a, ann.id, wall.token, {**others, **anns}),
        "nobody": Caller("nobody", hs, couple_a, None, None, {**others, **anns, "the wall's token": wall.token}),
    }
    yield {"app": app, "fill": fill, "callers": callers}
    hs.shutdown()


def made(answer, status: int = 201) -> dict:
    """The JSON of a seeding call, which must succeed: a fuzz run on a half-built world proves little."""
    assert answer.status_code == status, (answer.request.method, answer.request.path, answer.get_json())
    return answer.get_json()


def seed_objects(hs, ann, bob, cat) -> dict[str, list]:
    """One of each plugin's objects, through the API as members make them: ``{path parameter: [values]}``."""
    fill: dict[str, list] = {}
    loaded = hs.plugins.loaded()
    scopes = {scope["scope"] for scope in made(ann.get("/api/v1/consents"), 200)["scopes"]}
    for scope in sorted(scopes):
        for member in (ann, bob):
            made(member.put(f"/api/v1/consents/{scope}", json={"granted": True}), 200)
    fill["scope"] = sorted(scopes)
    if "rituals" in loaded:
        therapy = made(ann.post("/api/v1/rituals", json={"template": "therapy", "start": "2024-03-05T17:00"}))
        session = f"/api/v1/rituals/{therapy['id']}/occurrences/2024-03-05T17:00"
        homework = made(ann.post(f"{session}/homework", json={"text": "Write three appreciations"}))
        checkin = made(ann.post("/api/v1/rituals", json={"template": "checkin", "start": "2024-03-03T19:00"}))
        made(bob.put(f"/api/v1/rituals/{checkin['id']}/occurrences/2024-03-03T19:00/checkin",
                     json={"answers": {"hard": "A calm week"}}), 200)
        feed = made(ann.post("/api/v1/rituals/feed"))
        fill.update(ritual_id=[therapy["id"], checkin["id"]], occurrence_key=["2024-03-05T17:00", "2024-03-03T19:00"],
                    homework_id=[homework["id"]],
                    feed_secret=[feed["path"].rsplit("/", 1)[1].removesuffix(".ics")])
    if "transparency" in loaded:
        api = "/api/v1/transparency"
        entry = made(ann.post(f"{api}/entries", json={"kind": "plan", "text": "Gym after work, home by 19:30."}))
        question = made(bob.post(f"{api}/questions", json={"text": "Where were you on Friday?"}))
        proposal = made(ann.post(f"{api}/rules/proposals", json={"rules": ["No graphic detail"]}))
        agreement = made(ann.post(f"{api}/agreements", json={
            "items": ["Evenings out: home by eleven"], "review_on": (date.today() + timedelta(days=30)).isoformat()}))
        review = made(ann.post(f"{api}/reviews"))
        fill.update(entry_id=[entry["id"]], question_id=[question["id"]], proposal_id=[proposal["id"]],
                    agreement_id=[agreement["id"]], review_id=[review["id"]])
    if "matcher" in loaded:
        items = [item["id"] for item in made(ann.get("/api/v1/matcher/items"), 200)["items"][:4]]
        made(bob.put("/api/v1/matcher/answers", json={"answers": {str(item): "yes" for item in items}}), 200)
    if "touch" in loaded:  # one session practised and reflected on, one planned for tomorrow evening
        api = "/api/v1/touch"
        session = made(ann.post(f"{api}/session", json={}))["session"]
        made(ann.delete(f"{api}/session"), 200)
        made(bob.put(f"{api}/reflections", json={"session_id": session["id"], "safe": 4, "comfortable": 4}), 200)
        tomorrow = (date.today() + timedelta(days=1)).isoformat() + "T19:30"
        made(ann.post(f"{api}/sessions", json={"planned_for": tomorrow}))
    return fill


# -- checks of our own (schemathesis runs the conformance ones) -----------------------------------

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def error_bodies_are_json_errors(ctx, response, case):
    """Cardinal rule 6: every 4xx is JSON ``{"error": {"code", "message"}}``, whatever the document says."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        data = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"a {response.status_code} answer is not JSON: {response.content[:120]!r}") from None
    error = data.get("error") if isinstance(data, dict) else None
    assert isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str) \
        and error["message"], f"a {response.status_code} answer is not {{'error': {{'code', 'message'}}}}: {data!r}"
    return None


def no_tracebacks(ctx, response, case):
    """No answer shows the server's insides (stack traces, SQL errors)."""
    body = response.content.decode("utf-8", "replace")
    shown = [sign for sign in TRACEBACK_SIGNS if sign in body]
    assert not shown, f"the answer shows the server's insides ({shown[0]!r})"
    return None


def leaks_nothing(secrets: dict[str, str]):
    """A check that fails when the answer carries text or a token (``{what: value}``) this caller may never see."""

    def leaks_nothing_to_this_caller(ctx, response, case):
        body = response.content.decode("utf-8", "replace")
        leaked = [what for what, secret in secrets.items() if secret in body]
        assert not leaked, f"the answer carries {', '.join(leaked)}"
        return None

    return leaks_nothing_to_this_caller


# -- the run ------------------------------------------------------------------------------------


def real_path_parameters(fill: dict[str, list]):
    """A ``flatmap_path_parameters`` hook: about half the cases address the world's real objects."""

    def flatmap_path_parameters(context, path_parameters):
        if not isinstance(path_parameters, dict):  # no path parameters, or a negative case without them
            return st.just(path_parameters)
        known = {name: fill[name] for name in path_parameters if fill.get(name)}
        if not known:
            return st.just(path_parameters)
        real = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in known.items()})
        return st.one_of(st.just(path_parameters), real.map(lambda chosen: {**path_parameters, **chosen}))

    return flatmap_path_parameters


def reachable_operations(app, role: str) -> set[str]:
    """``"METHOD /path"`` of the operations ``role`` may really use: the rest answer 401 or 403 at once.

    Those still get a few examples each (the refusal must be a documented JSON
    error), while the fuzzing budget goes where the inputs are actually read.
    """
    reachable = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        public = not hasattr(view, "allows_device")  # views behind @require() carry the attribute
        if role == "member" or public or (role == "device" and view.allows_device):
            path = openapi_path(rule.rule)[0]
            reachable |= {f"{method} {path}" for method in rule.methods - {"HEAD", "OPTIONS"}}
    return reachable


def fuzz(world, role: str, examples: int) -> Caller:
    """Fuzz every operation of the document as ``role``; fail listing every operation that broke a rule.

    Each operation gets its own Hypothesis run (valid and invalid inputs
    mixed), so one broken route does not hide the others.
    """
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world["app"])
    schema.hook(real_path_parameters(world["fill"]))
    caller = world["callers"][role]
    reachable = reachable_operations(world["app"], role)
    problems = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the fuzzer cannot read is a fault of the document
            problems.append(f"unreadable in the document: {result.err()}")
            continue
        operation = result.ok()
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @fuzz_settings(examples if operation.label in reachable else REFUSED_EXAMPLES)
        @given(case=strategy)
        def run(case):
            caller.call_and_validate(case)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every operation, not the first
            # (schemathesis raises its FailureGroup, a BaseExceptionGroup)
            problems.append(f"{operation.label}:\n{exc}")
    print(f"fuzzed as {role}: {caller.calls} calls, statuses {dict(sorted(caller.statuses.items()))}")
    assert caller.calls, "the fuzzer sent nothing"
    assert not problems, f"{len(problems)} operation(s) broke a rule as {role}:\n\n" + "\n\n".join(problems)
    return caller


def test_fuzz_as_a_member(world):
    caller = fuzz(world, "member", EXAMPLES)
    # The generated ids were swapped for real ones: the member really read and changed the world.
    for label in ("GET /api/v1/rituals/{ritual_id}", "GET /api/v1/transparency/entries/{entry_id}",
                  "GET /api/v1/rituals/{ritual_id}/occurrences/{occurrence_key}/checkin"):
        assert 200 in caller.seen.get(label, ()), f"{label} never reached a real object"


def test_fuzz_as_the_wall(world):
    fuzz(world, "device", EXAMPLES // 2)


def test_fuzz_as_nobody(world):
    fuzz(world, "nobody", EXAMPLES // 2)


# -- the run's own rules, checked without a server ----------------------------------------------------


def answer(status: int, body: bytes) -> SimpleNamespace:
    """Just what the checks read of a response."""
    return SimpleNamespace(status_code=status, content=body)


def test_the_extra_checks_catch_what_they_are_for():
    """A fuzz run that cannot fail proves nothing: each check refuses the answer it exists for."""
    leaks = leaks_nothing({"Bob's private journal": BOB_SECRET})
    bad = [
        (error_bodies_are_json_errors, answer(404, b"<h1>Not Found</h1>")),
        (error_bodies_are_json_errors, answer(400, b'{"message": "bad"}')),
        (error_bodies_are_json_errors, answer(409, b'{"error": {"code": "conflict", "message": ""}}')),
        (no_tracebacks, answer(500, b'Traceback (most recent call last):\n  File "/srv/app.py"')),
        (no_tracebacks, answer(400, b'{"error": {"code": "x", "message": "sqlite3.IntegrityError"}}')),
        (leaks, answer(200, json.dumps({"events": [{"payload": {"text": BOB_SECRET}}]}).encode())),
    ]
    for check, response in bad:
        with pytest.raises(AssertionError):
            check(None, response, None)
    good = answer(404, b'{"error": {"code": "not_found", "message": "There is no such ritual."}}')
    for check in (error_bodies_are_json_errors, no_tracebacks, leaks):
        assert check(None, good, None) is None


@given(day=dates_to_the_ends(), moment=times_to_the_ends())
@settings(max_examples=200, derandomize=True, database=None)
def test_the_date_strategies_reach_the_ends_of_the_calendar(day, moment):
    """Both strategies give what the API documents (ISO text) and often what overflowed: 0001 or 9999."""
    assert date.fromisoformat(day) and datetime.fromisoformat(moment).tzinfo is not None


def test_the_date_strategies_often_hit_the_ends():
    from hypothesis import find

    assert find(dates_to_the_ends(), lambda day: day == "9999-12-31") == "9999-12-31"
    assert find(times_to_the_ends(), lambda moment: moment.startswith("0001-01-01")).startswith("0001-01-01")


def test_the_document_names_the_answers_fuzzing_meets(client):
    """Rate limits (429) and a full disk (507) are documented answers, not surprises."""
    doc = client.get("/api/v1/openapi.json").json
    for path, method in [("/api/v1/auth/token", "post"), ("/api/v1/auth/session", "post"),
                         ("/api/v1/devices/claim", "post"), ("/api/v1/me/password", "put")]:
        assert "429" in doc["paths"][path][method]["responses"], f"{method} {path}"
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert ("507" in operation["responses"]) == (method != "get"), f"{method} {path}"


def test_ids_beyond_sqlite_are_a_404_or_a_400_never_a_500(client, couple):
    """The fuzzer's first find: an id too large for SQLite reached the database and raised OverflowError."""
    ann, _bob = couple
    huge = 2**64
    for path in (f"/api/v1/rituals/{huge}", f"/api/v1/devices/{huge}", f"/api/v1/transparency/entries/{huge}"):
        answered = ann.get(path) if "devices" not in path else ann.delete(path)
        assert answered.status_code == 404, (path, answered.status_code)
        assert answered.json["error"]["code"]
    for path, body in [("/api/v1/touch/sessions/cancel", {"session_id": huge}),
                       ("/api/v1/transparency/entries", {"kind": "plan", "text": "Gym", "refers_to": huge,
                                                         "relation": "correction"}),
                       ("/api/v1/touch/reflections", {"session_id": huge, "safe": 3, "comfortable": 3})]:
        answered = ann.put(path, json=body) if "reflections" in path else ann.post(path, json=body)
        assert answered.status_code == 400, (path, answered.status_code, answered.json)
        assert answered.json["error"]["code"] == "invalid_field"
