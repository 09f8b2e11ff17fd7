"""Issue 13, holes 4, 5 and 7: what the other partner (or anyone on the network) can send.

* Bad input never gets a 500: a JSON body nested deeper than the parser
  recurses, and every date or time at the ends of the calendar, answer a 400
  JSON error, on authenticated routes and public ones alike.
* No log line carries an invite code, a pairing code, a feed secret or a
  token: the 500 handler names the route, and the server's log handlers
  redact the rest (hearthside.logsafe).
* Names that lie: every free-text field follows one rule
  (hearthside.inputs.text_value) - NFC, trimmed, no control characters, no
  bidi overrides - and the error names the field and the character class,
  never the text.
* Every /api/v1 answer is ``Cache-Control: no-store`` and ``nosniff``, and
  links that leave the browser (QR codes, the calendar feed) never point at
  a host taken blindly from the ``Host`` header.
"""

from __future__ import annotations

import io
import logging

import pytest

from hearthside.request_context import current_hs
from hearthside.config import ConfigError
from hearthside.testing import PrivacyMatrix, sign_in_browser

NESTED = "[" * 100_000 + "]" * 100_000
BUILTINS = ("rituals", "transparency", "matcher", "touch")


def nested(client, path, headers=None):
    return client.post(path, data=NESTED, content_type="application/json", headers=headers or {})


# -- hole 4: bad input that gave a 500 ----------------------------------------------------------------


def test_deeply_nested_json_is_a_400_on_public_and_member_routes(client, couple):
    ann, _bob = couple
    code = ann.post("/api/v1/admin/invites").json["code"]  # the couple is complete: a new couple's invite
    for path, headers in [(f"/api/v1/invites/{code}/accept", {}),
                          ("/api/v1/auth/token", {}), ("/api/v1/devices/claim", {}),
                          ("/api/v1/devices", ann.headers), ("/api/v1/rituals", ann.headers)]:
        answer = nested(client, path, headers)
        assert answer.status_code == 400, (path, answer.status_code)
        assert answer.json["error"]["code"] == "invalid_json"
    # Nothing was used up: the invite still works.
    joined = client.post(f"/api/v1/invites/{code}/accept",
                         json={"username": "carol", "password": "correct horse battery", "display_name": "Carol",
                               "couple": {"name": "Carol & Co"}})
    assert joined.status_code == 201


def test_deeply_nested_json_is_a_400_at_onboarding_and_onboards_nobody(client):
    answer = nested(client, "/api/v1/onboarding")
    assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_json"
    assert client.post("/api/v1/onboarding", json={"couple": {"name": "A & B"}, "member": {
        "username": "ann", "password": "correct horse battery", "display_name": "Ann"}}).status_code == 201


@pytest.mark.parametrize("query", ["from=9999-12-30", "from=9999-12-31&to=9999-12-31", "from=0001-01-01",
                                   "to=0001-01-01", "from=0001-01-01&to=0001-01-02", "from=2024-03-10&to=9999-12-31"])
def test_occurrence_dates_at_the_ends_of_the_calendar_are_a_400(ann, query):
    answer = ann.get(f"/api/v1/rituals/occurrences?{query}")
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] in ("invalid_parameter", "end_before_start")


@pytest.mark.parametrize("fields", [{"start": "9999-12-31T23:59-12:00"}, {"start": "0001-01-01T00:00+14:00"},
                                    {"start": "9999-12-31T23:59"}, {"start": "0001-01-01T00:00"},
                                    {"start": "2024-03-03T19:00", "rrule": "FREQ=WEEKLY;UNTIL=99991231T235959Z"},
                                    {"start": "2024-03-03T19:00", "rrule": "FREQ=WEEKLY;UNTIL=00010101T000000Z"}])
def test_ritual_times_at_the_ends_of_the_calendar_are_a_400_and_make_nothing(ann, fields):
    answer = ann.post("/api/v1/rituals", json={"template": "checkin", **fields})
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["message"]
    assert ann.get("/api/v1/rituals").json["rituals"] == []


def test_pages_with_dates_at_the_ends_of_the_calendar_fall_back_to_today(app, ann):
    browser = sign_in_browser(app, ann)
    for url in ["/rituals/month?month=9999-12", "/rituals/month?month=0001-01", "/rituals?date=9999-12-31",
                "/transparency/print?from=0001-01-01&to=0001-01-02", "/transparency/print?from=9999-12-30&to=9999-12-31"]:
        assert browser.get(url).status_code == 200, url


def test_every_builtin_route_passes_the_matrix_rules_for_hostile_input_and_headers(app, couple, wall, other_couple):
    """The privacy matrix's rules (hearthside.testing) over every built-in plugin's routes: no 5xx for a
    nested body or an edge date in a documented date parameter, and no-store/nosniff on every answer."""
    import hearthside.plugins as builtins

    modules = [getattr(builtins, name, None) or __import__(f"hearthside.plugins.{name}", fromlist=["_"])
               for name in BUILTINS]
    matrix = PrivacyMatrix(app, BUILTINS, modules, *couple, wall, other_couple[0])
    result = matrix.check(public={"GET /api/v1/rituals/feed/<feed_secret>.ics"})
    ours = [problem for problem in result.problems
            if "server error" in problem or "header" in problem or "expected a 4xx" in problem]
    assert ours == [], "\n".join(ours)
    assert any(label == "GET /api/v1/rituals/occurrences" for _role, label, _status in result.calls)


# -- hole 4: no secret in a log line ----------------------------------------------------------------


def test_a_500_logs_the_route_and_never_the_invite_code(make_app, caplog):
    app = make_app()

    def explode(code):
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/invites/<code>/explode", "explode", explode, methods=["POST"])
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="hearthside"):
        answer = client.post("/api/v1/invites/SECRET-CODE-42/explode")
    assert answer.status_code == 500 and answer.json["error"]["code"] == "internal_error"
    assert "/api/v1/invites/<code>/explode" in caplog.text
    assert "SECRET-CODE-42" not in caplog.text


def test_the_log_filter_redacts_paths_queries_and_tokens_in_messages_and_tracebacks():
    from hearthside import logsafe

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("hearthside.test_logsafe")
    logger.addHandler(handler)
    logsafe.install([handler])
    try:
        werkzeug = logging.getLogger("werkzeug")
        werkzeug.addHandler(handler)
        werkzeug.warning('127.0.0.1 - - "POST /api/v1/invites/INVITE-1234/accept HTTP/1.1" 400 -')
        werkzeug.removeHandler(handler)
        logger.warning("fetched %s", "/api/v1/rituals/feed/FEEDSECRET_abc.ics")
        logger.warning("GET /dashboard/pair?code=PAIR-9876 and /qr/join/QRCODE-1.svg and /signin?next=%2Fjoin%2FNEXTCODE")
        try:
            raise ValueError("Authorization: Bearer TOKEN.abc_123 for /join/JOINCODE")
        except ValueError:
            logger.exception("a plugin failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    for secret in ("INVITE-1234", "FEEDSECRET", "PAIR-9876", "QRCODE-1", "NEXTCODE", "TOKEN.abc_123", "JOINCODE"):
        assert secret not in text, secret
    assert text.count("[redacted]") >= 7 and "/api/v1/invites/[redacted]/accept" in text


def test_the_real_server_logs_no_invite_code_for_a_hostile_body(server):
    import requests

    from hearthside.testing import HttpClient, onboard_couple

    ann, _bob = onboard_couple(HttpClient(server.url))
    code = ann.post("/api/v1/admin/invites").get_json()["code"]
    answer = requests.post(f"{server.url}/api/v1/invites/{code}/accept", data=NESTED,
                           headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert code not in server.output()


# -- hole 5: names that lie -------------------------------------------------------------------------


HIDDEN = {"NUL": "Ann\x00", "a right-to-left override": "Ann\u202egnp.exe", "an escape": "Ann\x1b[31m",
          "a line break": "Ann\nBob", "a left-to-right isolate": "\u2066Ann\u2069"}


def fields_of(ann, bob, wall):
    """(label, the field's name in the message, a call that sends ``text`` in it) for free-text fields."""
    checkin = ann.post("/api/v1/rituals", json={"template": "checkin", "start": "2024-03-03T19:00"}).json
    occurrence = f"/api/v1/rituals/{checkin['id']}/occurrences/2024-03-03T19:00"
    prompt = checkin["prompts"][0]["id"] if checkin.get("prompts") else "hard"
    ladder = ann.get("/api/v1/touch/ladder").json["phases"]
    phases = [{key: phase[key] for key in ("key", "name", "in", "out", "practice")} for phase in ladder]

    def renamed(text):
        return [{**phases[0], "name": text}, *phases[1:]]

    ann.put("/api/v1/consents/transparency.share", json={"granted": True})
    return [
        ("a device name", "name", lambda text: ann.post("/api/v1/devices", json={"name": text})),
        ("a token name", "name", lambda text: ann.post("/api/v1/tokens", json={"name": text})),
        ("a display name", "display_name", lambda text: ann.client.post(
            f"/api/v1/invites/{ann.post('/api/v1/admin/invites').json['code']}/accept",
            json={"username": "carol", "password": "correct horse battery", "display_name": text,
                  "couple": {"name": "Carol & Co"}})),
        ("a ritual title", "title", lambda text: ann.post("/api/v1/rituals", json={
            "template": "checkin", "start": "2024-03-03T19:00", "title": text})),
        ("a matcher item title", "title", lambda text: ann.post("/api/v1/matcher/items", json={
            "title": text, "category": "ours"})),
        ("a touch phase name", "name", lambda text: ann.post("/api/v1/touch/proposal", json={"phases": renamed(text)})),
        ("a ground rule", "rules", lambda text: ann.post("/api/v1/transparency/rules/proposals",
                                                         json={"rules": [text]})),
        ("a transparency tag", "tag", lambda text: ann.post("/api/v1/transparency/entries", json={
            "kind": "plan", "text": "Gym", "tags": [text]})),
        ("a check-in answer", "answer", lambda text: bob.put(f"{occurrence}/checkin",
                                                             json={"answers": {prompt: text.replace("\n", "\x00")}})),
        ("a transparency entry", "text", lambda text: ann.post("/api/v1/transparency/entries", json={
            "kind": "plan", "text": text.replace("\n", "\x00")})),
    ]


def test_every_free_text_field_refuses_hidden_characters_and_stores_nothing(app, couple, wall):
    ann, bob = couple
    hs = app.extensions["hearthside"]
    with hs.storage.connection() as db:
        before = db.execute("SELECT max(id) FROM events").fetchone()[0]
    for label, field, send in fields_of(ann, bob, wall):
        with hs.storage.connection() as db:
            before = db.execute("SELECT max(id) FROM events").fetchone()[0]
        for kind, text in HIDDEN.items():
            answer = send(text)
            assert answer.status_code == 400, (label, kind, answer.status_code, answer.json)
            error = answer.json["error"]
            assert error["code"] == "invalid_characters", (label, kind, error)
            assert field in error["message"], (label, error["message"])
            assert ("bidirectional" in error["message"]) == ("\u202e" in text or "\u2066" in text), (label, kind)
            assert "gnp" not in error["message"] and "Ann" not in error["message"]
        with hs.storage.connection() as db:
            assert db.execute("SELECT max(id) FROM events").fetchone()[0] == before, f"{label}: something was written"


def test_text_is_normalised_to_nfc_trimmed_and_keeps_line_breaks_only_where_they_belong(ann, bob):
    device = ann.post("/api/v1/devices", json={"name": "  Cafe\u0301   wall  "})
    assert device.status_code == 201
    assert ann.get("/api/v1/devices").json["devices"][0]["name"] == "Caf\u00e9 wall"
    ann.put("/api/v1/consents/transparency.share", json={"granted": True})
    entry = ann.post("/api/v1/transparency/entries", json={"kind": "plan", "text": " Gym,\r\nthen home\tby 19:30 "})
    assert entry.status_code == 201, entry.json
    assert entry.json["text"] == "Gym,\nthen home\tby 19:30"


# -- hole 7: caching, sniffing and the Host header ---------------------------------------------------


def test_every_api_answer_is_no_store_and_nosniff(client, ann, wall):
    feed = ann.post("/api/v1/rituals/feed").json
    answers = [client.get("/api/v1/health"), ann.get("/api/v1/me"), ann.get("/api/v1/me/export"),
               client.get(feed["path"]), client.get("/api/v1/me"), ann.get("/api/v1/no-such-thing"),
               wall.get("/api/v1/dashboard"), ann.post("/api/v1/devices", json={"name": "\x00"}),
               client.get("/api/v1/openapi.json")]
    for answer in answers:
        assert answer.status_code < 500
        assert answer.headers.get("Cache-Control") == "no-store", (answer.request.path, answer.headers)
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", answer.request.path


def test_the_feed_link_never_uses_a_forged_host(client, ann):
    forged = client.post("/api/v1/rituals/feed", headers={**ann.headers, "Host": "evil.example"}).json
    assert "evil.example" not in forged["url"] and "evil.example" not in forged["webcal_url"]
    tricky = client.post("/api/v1/rituals/feed", headers={**ann.headers, "Host": "localhost:80@evil.example"}).json
    assert "evil.example" not in tricky["url"]
    honest = client.post("/api/v1/rituals/feed", headers={**ann.headers, "Host": "127.0.0.1:8321"}).json
    assert honest["url"].startswith("http://127.0.0.1:8321/api/v1/rituals/feed/")


def test_links_come_from_server_base_url_when_it_is_set(make_app):
    from hearthside.links import public_url

    app = make_app(flags={"server.base_url": "https://hearth.example:8443/"})
    with app.test_request_context("/join/X", headers={"Host": "evil.example"}):
        assert public_url("/join/ABCD") == "https://hearth.example:8443/join/ABCD"
    with app.test_request_context("/", headers={"Host": "localhost:8321"}):
        assert public_url("/join/ABCD") == "https://hearth.example:8443/join/ABCD"


def test_qr_links_without_base_url_use_only_a_host_the_server_answers_on(app):
    from hearthside.links import public_url

    with app.test_request_context("/", headers={"Host": "evil.example:8321"}):
        url = public_url("/join/ABCD")
        assert "evil" not in url and url.endswith(f":{current_hs().config['port']}/join/ABCD")
    with app.test_request_context("/", headers={"Host": "[::1]:9000"}):
        assert public_url("/join/ABCD") == "http://[::1]:9000/join/ABCD"
    with app.test_request_context("/", headers={"Host": "localhost"}):
        assert public_url("/join/ABCD") == "http://localhost/join/ABCD"


@pytest.mark.parametrize("bad", ["ftp://hearth.example", "hearth.example", "https://hearth.example/?a=1",
                                 "https://user:pw@hearth.example", "https://hearth.example:99999"])
def test_a_bad_base_url_stops_the_start_with_a_clear_error(make_app, bad):
    with pytest.raises(ConfigError) as raised:
        make_app(flags={"server.base_url": bad})
    assert "server.base_url" in str(raised.value)
