"""Every rituals route, called as everyone who must not get in: nobody (401), the
couple's wall screen (403), a member of another couple (never a 2xx on this couple's
objects, never a word of their data) and the partner (never the member's own private
data: unrevealed answers, quiet hours, reminder offsets, feed). Routes come from the URL
map, so a route added later is walked too."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from rituals_testing import create, occ

from hearthside.app import create_app
from hearthside.testing import privacy_cast

KEY = "2024-03-10T19:00"
TITLE = "ZEPHYR-RITUAL-TITLE"
PLACE = "ZEPHYR-PLACE"
ANSWER = "ANN-UNREVEALED-ANSWER-MARKER"
HOMEWORK = "ZEPHYR-HOMEWORK"
QUIET = "21:17"
OFFSET = 9871


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One world for the module (the walks only read, except the partner's, which runs after the others')."""
    app = create_app(None, env={}, flags={"data_dir": str(tmp_path_factory.mktemp("privacy") / "data")})
    client = app.test_client()
    ann, bob, cat, _dan, wall = privacy_cast(client, "Living-room wall")
    checkin = create(ann, template="checkin", title=TITLE, location=PLACE, start="2024-03-03T19:00")["id"]
    therapy = create(ann, template="therapy", title=TITLE + "-T", location=PLACE, start="2024-03-10T19:00",
                     rrule="FREQ=WEEKLY")["id"]
    assert ann.put(occ(checkin, KEY, "/checkin"), json={"answers": {"hard": ANSWER, "rating": 2}}).status_code == 200
    item = ann.post(occ(therapy, KEY, "/homework"), json={"text": HOMEWORK}).json["id"]
    ann.put("/api/v1/rituals/settings", json={"quiet_hours": {"start": QUIET, "end": "06:00"}})
    ann.put(f"/api/v1/rituals/{checkin}/reminders", json={"offsets": [OFFSET]})
    feed = ann.post("/api/v1/rituals/feed").json["path"]
    secret = feed.rsplit("/", 1)[1][:-4]
    for scope in ("rituals.checkin_reveal", "dashboard.rituals"):
        for member in (ann, bob):
            member.put(f"/api/v1/consents/{scope}", json={"granted": True})
    yield {"app": app, "client": client, "ann": ann, "bob": bob, "cat": cat, "wall": wall, "feed": feed,
            "secret": secret, "fills": [{"ritual_id": checkin, "occurrence_key": KEY, "homework_id": item},
                                        {"ritual_id": therapy, "occurrence_key": KEY, "homework_id": item}]}
    app.extensions["hearthside"].shutdown()


def rituals_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/rituals"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule, app.view_functions[rule.endpoint]))
    return sorted(routes, key=lambda r: (r[1], r[0]))


def url(rule: str, fill: dict, secret: str) -> str:
    values = {**fill, "feed_secret": secret}
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def call(client, method, path, headers):
    return client.open(path, method=method, headers=headers, **({} if method == "GET" else {"json": {}}))


def test_every_route_refuses_nobody_and_the_wall(world):
    client, wall = world["client"], world["wall"]
    routes = rituals_routes(world["app"])
    assert len(routes) >= 25  # a guard against walking nothing
    problems = []
    for fill in world["fills"]:
        for method, rule, view in routes:
            if rule.endswith(".ics"):
                continue  # the feed: its secret is the key (below)
            path = url(rule, fill, "x")
            for who, headers, status in (("nobody", {}, 401), ("wall", wall.headers, 403)):
                answer = call(client, method, path, headers)
                if answer.status_code != status or not answer.is_json:
                    problems.append(f"{who} {method} {rule} -> {answer.status_code}")
                if TITLE in answer.get_data(as_text=True):
                    problems.append(f"{who} {method} {rule}: leaks the title")
            assert getattr(view, "allows_device", None) is False, rule
    assert not problems, "\n".join(problems)


def test_another_couple_never_reaches_or_reads_this_couples_rituals(world):
    client, cat = world["client"], world["cat"]
    problems = []
    for fill in world["fills"]:
        for method, rule, _view in rituals_routes(world["app"]):
            answer = call(client, method, url(rule, fill, "not-the-secret"), cat.headers)
            body = answer.get_data(as_text=True)
            if "<" in rule and 200 <= answer.status_code < 300:
                problems.append(f"{method} {rule}: {answer.status_code} for another couple")
            if answer.status_code >= 500:
                problems.append(f"{method} {rule}: server error")
            for marker in (TITLE, PLACE, ANSWER, HOMEWORK, QUIET, "annika", "Annika", "Zephyr"):
                if marker in body:
                    problems.append(f"{method} {rule}: answer contains {marker!r}")
    assert not problems, "\n".join(problems)


def alarm_triggers(text: str) -> set:
    return {alarm["TRIGGER"].dt for alarm in icalendar.Calendar.from_ical(text).walk("VALARM")}


def test_the_feed_link_is_the_only_key_and_holds_no_answers(world):
    """Ann's feed carries her reminder (as an alarm) and no answers; the partner's own feed
    never carries her reminder; another couple's feed nothing of hers; nobody, the wall, the
    other couple and the partner get nothing by guessing a link."""
    client = world["client"]
    text = client.get(world["feed"]).get_data(as_text=True)
    assert TITLE in text and ANSWER not in text and HOMEWORK not in text and QUIET not in text
    assert -timedelta(minutes=OFFSET) in alarm_triggers(text)
    for member, sees_title in ((world["bob"], True), (world["cat"], False)):
        own = client.get(member.post("/api/v1/rituals/feed").json["path"]).get_data(as_text=True)
        assert (TITLE in own) is sees_title  # Bob takes part: his events, with his own alarms
        assert -timedelta(minutes=OFFSET) not in alarm_triggers(own)
        assert ANSWER not in own and QUIET not in own
    for headers in ({}, world["wall"].headers, world["cat"].headers, world["bob"].headers):
        answer = client.get("/api/v1/rituals/feed/guess.ics", headers=headers)
        assert answer.status_code == 404 and TITLE not in answer.get_data(as_text=True)


def test_pages_are_for_signed_in_members_of_the_couple(world):
    client = world["app"].test_client()
    checkin = world["fills"][0]["ritual_id"]
    for path in ("/rituals", "/rituals/week", "/rituals/month", f"/rituals/{checkin}",
                 f"/rituals/{checkin}/occurrences/{KEY}", "/rituals/settings", "/rituals/new"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/signin" in answer.headers["Location"], path
    from hearthside.testing import PASSWORD

    browser = world["app"].test_client()
    assert browser.post("/api/v1/auth/session", json={"username": "cat", "password": PASSWORD}).status_code == 200
    for path in (f"/rituals/{checkin}", f"/rituals/{checkin}/occurrences/{KEY}", f"/rituals/{checkin}/edit"):
        answer = browser.get(path)
        assert answer.status_code == 404 and TITLE not in answer.get_data(as_text=True), path
    assert TITLE not in browser.get("/rituals").get_data(as_text=True)
    partner = world["app"].test_client()
    partner.post("/api/v1/auth/session", json={"username": "bartholomew", "password": PASSWORD})
    page = partner.get(f"/rituals/{checkin}/occurrences/{KEY}")
    assert page.status_code == 200 and TITLE in page.get_data(as_text=True)
    assert ANSWER not in page.get_data(as_text=True)
    assert "Content-Security-Policy" in page.headers


def test_the_trend_chart_in_the_page_shows_the_partner_no_unrevealed_rating(world):
    """The ritual page draws the rating trend itself: Ann's unrevealed rating (2) is a dot on her
    page and on nobody else's; the wall, another couple and nobody never get the page at all."""
    from hearthside.testing import PASSWORD

    checkin = world["fills"][0]["ritual_id"]

    def page_of(username):
        browser = world["app"].test_client()
        if username:
            assert browser.post("/api/v1/auth/session", json={"username": username, "password": PASSWORD}).status_code == 200
        return browser.get(f"/rituals/{checkin}")

    mine = page_of("annika").get_data(as_text=True)
    assert mine.count('class="hs-chart__dot') == 1 and "2024-03-10: You 2" in mine
    partners = page_of("bartholomew")
    text = partners.get_data(as_text=True)
    assert partners.status_code == 200 and "data-trend" in text
    assert "hs-chart__dot" not in text and "No ratings yet" in text and "2024-03-10:" not in text
    assert page_of("cat").status_code == 404
    assert page_of(None).status_code == 302
    wall = world["app"].test_client().get(f"/rituals/{checkin}", headers=world["wall"].headers)
    assert wall.status_code == 302 and "hs-chart" not in wall.get_data(as_text=True)


def test_the_partner_never_gets_the_members_private_data(world):
    client, bob, ann = world["client"], world["bob"], world["ann"]
    problems = []
    for fill in world["fills"]:
        for method, rule, _view in rituals_routes(world["app"]):
            if rule.endswith(".ics"):
                continue
            answer = call(client, method, url(rule, fill, "x"), bob.headers)
            body = answer.get_data(as_text=True)
            if answer.status_code >= 500:
                problems.append(f"{method} {rule}: server error")
            for marker in (ANSWER, QUIET, str(OFFSET), world["secret"]):
                if marker in body:
                    problems.append(f"{method} {rule}: the partner got {marker!r}")
    assert not problems, "\n".join(problems)
    events = client.get("/api/v1/events?limit=500", headers=bob.headers).get_data(as_text=True)
    assert ANSWER not in events and QUIET not in events and world["secret"] not in events
    # ... while Ann still has all of it
    assert ann.get("/api/v1/rituals/settings").json["quiet_hours"]["start"] == QUIET


@pytest.fixture
def hearthside_plugins():
    """The privacy matrix fixture over this plugin alone."""
    import hearthside.plugins.rituals as rituals

    return {"rituals": rituals}


def test_the_matrix_rule_a_checkin_stays_sealed_until_both_answered(privacy_matrix):
    """hearthside.testing's generic rule-1 check, run on the plugin's own SEALED_ANSWERS spec."""
    assert [spec["name"] for spec in privacy_matrix.run_sealed_answers()] == ["rituals check-in"]
