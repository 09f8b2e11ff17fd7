"""The gratitude jar, tested with hearthside.testing's fixtures and its own (conftest.py).

``ann, bob`` are a couple, ``wall`` their paired screen, ``other_couple`` a
second couple on the same server; ``scheduler`` runs the evening draw on the
test's ``clock``. pyproject.toml names the plugin under test
(``hearthside_plugins = ["gratitude_jar"]``), found through its entry point.
"""

from __future__ import annotations

from datetime import datetime
from importlib.metadata import entry_points
from zoneinfo import ZoneInfo

import pytest

from hearthside.app import ConfigError
from hearthside.testing import SchedulerDriver, onboard_couple, sign_in_browser

NOTES = "/api/v1/gratitude_jar/notes"
DRAWN = "/api/v1/gratitude_jar/drawn"
SCOPE = "dashboard.gratitude_jar"
JOB = "gratitude_jar.evening_draw"
BERLIN = ZoneInfo("Europe/Berlin")  # the couple's time zone (hearthside.testing's couple)


def evening(day: int = 10, hour: int = 20, minute: int = 5) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=BERLIN)


def drop(member, text: str) -> int:
    answer = member.post(NOTES, json={"text": text})
    assert answer.status_code == 201, answer.json
    return answer.json["note"]["id"]


def own_texts(member) -> list[str]:
    return [note["text"] for note in member.get(NOTES).json["notes"]]


def wall_cards(wall) -> list[dict]:
    return [card for card in wall.get("/api/v1/dashboard").json["cards"] if card["plugin"] == "gratitude_jar"]


def newest_note_id(member) -> int:
    return member.get(NOTES).json["notes"][0]["id"]


def drawn_days(member) -> list[str]:
    answer = member.get(DRAWN)
    return [note["drawn_on"] for note in answer.json["drawn"]] if answer.status_code == 200 else []


def both_consent(ann, bob, granted: bool = True) -> None:
    ann.grant(SCOPE, granted)
    bob.grant(SCOPE, granted)


# -- registration ---------------------------------------------------------------------------


def test_the_plugin_is_found_through_its_entry_point(hs):
    [entry] = [ep for ep in entry_points(group="hearthside.plugins") if ep.name == "gratitude_jar"]
    assert entry.value == "hearthside_gratitude_jar"
    report = {row["name"]: row for row in hs.plugins.report()}
    assert report["gratitude_jar"]["state"] == "loaded"
    assert report["gratitude_jar"]["version"] == "1.0.0"


# -- notes are private until drawn ---------------------------------------------------------------


def test_a_note_is_the_authors_alone_while_it_waits(ann, bob):
    drop(ann, "You made tea without being asked")
    assert own_texts(ann) == ["You made tea without being asked"]
    assert own_texts(bob) == []
    assert ann.get(NOTES).json["notes"][0]["drawn_on"] is None
    for member in (ann, bob):
        answer = member.get(DRAWN)
        assert answer.status_code == 403
        assert answer.json["error"]["code"] == "consent_required"


@pytest.mark.parametrize("body, says", [
    ({}, "'text' is required"),
    ({"text": "   "}, "'text' is required"),
    ({"text": 42}, "'text' is required"),
    ({"text": None}, "'text' is required"),
    ({"text": "x" * 281}, "at most 280 characters"),
    (["a", "list"], "must be a JSON object"),
])
def test_bad_notes_are_refused_and_nothing_is_stored(ann, body, says):
    answer = ann.post(NOTES, json=body)
    assert answer.status_code == 400
    assert says in answer.json["error"]["message"]
    assert own_texts(ann) == []


def test_a_note_without_a_body_is_refused(ann):
    answer = ann.client.post(NOTES, data="not json", headers={**ann.headers, "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_json"
    answer = ann.post(NOTES)
    assert answer.status_code == 400 and answer.json["error"]["code"] == "body_required"
    assert own_texts(ann) == []


def test_a_note_of_exactly_the_limit_is_kept_trimmed(ann):
    drop(ann, "  " + "y" * 280 + "  ")
    assert own_texts(ann) == ["y" * 280]


def test_only_the_author_can_take_a_note_back(ann, bob, other_couple):
    note_id = drop(ann, "Thank you for listening")
    for stranger in (bob, other_couple[0]):
        answer = stranger.delete(f"{NOTES}/{note_id}")
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
    assert ann.delete(f"{NOTES}/999999").status_code == 404
    assert own_texts(ann) == ["Thank you for listening"]
    answer = ann.delete(f"{NOTES}/{note_id}")
    assert answer.status_code == 200 and answer.json == {"taken_back": note_id}
    assert own_texts(ann) == []


# -- the evening draw -------------------------------------------------------------------------


def test_nothing_is_drawn_until_both_consent(ann, bob, wall, scheduler, clock):
    drop(ann, "You remembered my appointment")
    clock.set(evening())
    ann.grant(SCOPE)
    scheduler.run(JOB)
    assert ann.get(NOTES).json["notes"][0]["drawn_on"] is None
    assert wall_cards(wall) == []
    bob.grant(SCOPE)
    scheduler.run(JOB)
    assert ann.get(NOTES).json["notes"][0]["drawn_on"] == "2024-06-10"
    [card] = wall_cards(wall)
    assert card["body"] == {"text": "You remembered my appointment", "drawn_on": "2024-06-10"}
    assert "ann" not in str(card).lower()  # the wall never says who wrote it
    assert bob.get(DRAWN).json["drawn"] == [
        {"id": newest_note_id(ann), "text": "You remembered my appointment", "drawn_on": "2024-06-10", "mine": False}]
    assert ann.get(DRAWN).json["drawn"][0]["mine"] is True


def test_one_draw_each_evening_from_the_draw_hour(ann, bob, scheduler, clock):
    first, second = drop(ann, "first"), drop(bob, "second")
    both_consent(ann, bob)
    clock.set(evening(hour=18, minute=0))
    assert scheduler.run_due() == []  # first sight of the job: its record starts now
    assert scheduler.advance(minutes=30) == [JOB]  # ran, but 18:30 is before the draw hour
    assert drawn_days(ann) == []
    clock.set(evening(hour=19, minute=55))
    scheduler.run_due()
    assert scheduler.advance(minutes=10) == [JOB]  # 20:05: drawn
    assert len(drawn_days(ann)) == 1
    scheduler.advance(minutes=10)
    scheduler.advance(minutes=10)
    assert len(drawn_days(ann)) == 1  # once per evening, however often the job runs
    clock.set(evening(day=11, hour=21))
    scheduler.run_due()
    assert sorted(drawn_days(ann)) == ["2024-06-10", "2024-06-11"]
    assert {n["id"] for n in ann.get(DRAWN).json["drawn"]} == {first, second}
    clock.set(evening(day=12, hour=21))
    scheduler.run_due()
    assert len(drawn_days(ann)) == 2  # the jar is empty: nothing more to draw


def test_the_draw_follows_the_couples_own_evening(make_app, clock):
    app = make_app(flags={"plugins.gratitude_jar.draw_hour": 7})
    ann, bob = onboard_couple(app.test_client())
    assert ann.get(NOTES).json["draw_hour"] == 7
    drop(ann, "morning person")
    both_consent(ann, bob)
    driver = SchedulerDriver(app.extensions["hearthside"], clock)
    clock.set(datetime(2024, 6, 10, 6, 59, tzinfo=BERLIN))
    driver.run(JOB)
    assert ann.get(NOTES).json["notes"][0]["drawn_on"] is None
    clock.set(datetime(2024, 6, 10, 7, 0, tzinfo=BERLIN))
    driver.run(JOB)
    assert ann.get(NOTES).json["notes"][0]["drawn_on"] == "2024-06-10"
    driver.close()


def test_revoking_consent_takes_everything_off_at_once(ann, bob, wall, scheduler, clock, evening_draw):
    drop(ann, "You held my hand at the doctor's")
    drop(ann, "still waiting")
    evening_draw()
    assert len(wall_cards(wall)) == 1 and bob.get(DRAWN).status_code == 200
    bob.grant(SCOPE, False)  # either partner, no reason needed
    assert wall_cards(wall) == []
    assert bob.get(DRAWN).status_code == 403 and ann.get(DRAWN).status_code == 403
    clock.set(evening(day=11))
    scheduler.run(JOB)
    assert [n["drawn_on"] for n in ann.get(NOTES).json["notes"]].count(None) == 1  # no new draw while off


def test_taking_back_a_drawn_note_takes_it_off_the_wall_and_never_redraws_that_evening(ann, bob, wall, scheduler,
        evening_draw):
    note_id = drop(ann, "drawn then taken back")
    evening_draw()
    drop(ann, "another")
    assert ann.delete(f"{NOTES}/{note_id}").status_code == 200
    assert wall_cards(wall) == [] and bob.get(DRAWN).json["drawn"] == []
    scheduler.run(JOB)  # the same evening: it had its draw
    assert ann.get(NOTES).json["notes"][0]["drawn_on"] is None


# -- live -------------------------------------------------------------------------------------------


def test_live_events_reach_only_their_audience(ann, bob, sockets, scheduler, clock):
    drop(ann, "LIVE-MARKER thank you")
    assert sockets.who_heard("gratitude_jar.dropped") == {"ann"}
    assert sockets.heard_by("LIVE-MARKER") == set()  # events carry ids, never the text
    both_consent(ann, bob)
    sockets.clear()
    clock.set(evening())
    scheduler.run(JOB)
    assert sockets.who_heard("gratitude_jar.drawn") == {"ann", "bob", "wall"}  # never the other couple
    assert sockets.heard_by("LIVE-MARKER") == set()


# -- privacy ----------------------------------------------------------------------------------------------


def test_privacy_matrix(privacy_matrix, ann, bob, evening_draw):
    drop(ann, "drawn and shared")
    evening_draw()
    private_id = drop(ann, f"waiting: {privacy_matrix.marker}")
    result = privacy_matrix.run(fill={"note_id": private_id}, private_params={"note_id"})
    assert result.status("partner", "GET /api/v1/gratitude_jar/drawn") == 200  # shared, but not the marker
    assert result.status("wall", "GET /api/v1/gratitude_jar/drawn") == 403
    assert privacy_matrix.marker in ann.get(NOTES).get_data(as_text=True)  # still there for its author


# -- export, forget, page, config -----------------------------------------------------------------------


def test_export_holds_my_notes_and_only_the_shared_ones_of_my_partner(ann, bob, evening_draw):
    drop(ann, "drawn")
    evening_draw()
    drop(ann, "ann-private")
    drop(bob, "bob-private")
    exported = bob.get("/api/v1/me/export").json["plugins"]["gratitude_jar"]
    assert [n["text"] for n in exported["my_notes"]] == ["bob-private"]
    assert [n["text"] for n in exported["drawn_from_my_partner"]] == ["drawn"]
    bob.grant(SCOPE, False)
    exported = bob.get("/api/v1/me/export").json["plugins"]["gratitude_jar"]
    assert exported["drawn_from_my_partner"] == [] and "ann-private" not in str(exported)


def test_forget_deletes_my_notes_and_takes_mine_off_the_wall(ann, bob, wall, evening_draw):
    drop(ann, "drawn")
    evening_draw()
    drop(bob, "bob keeps his")
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": "correct horse battery"})
    assert answer.status_code == 200 and "gratitude_jar" in answer.json["plugins"]
    assert own_texts(ann) == [] and wall_cards(wall) == []
    assert own_texts(bob) == ["bob keeps his"]


def test_the_page_is_in_the_menu_and_renders_for_a_member(app, ann):
    browser = sign_in_browser(app, ann)
    page = browser.get("/gratitude-jar")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/gratitude-jar"' in html and "Gratitude jar" in html
    assert "Drop it in the jar" in html and "gratitude_jar.js" in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert browser.get("/gratitude-jar/static/gratitude_jar.js").status_code == 200
    assert app.test_client().get("/gratitude-jar").status_code == 302  # nobody: sent to sign in


def test_draw_hour_is_validated_at_start(make_app):
    with pytest.raises(ConfigError) as failed:
        make_app(flags={"plugins.gratitude_jar.draw_hour": 24})
    assert "plugins.gratitude_jar.draw_hour" in str(failed.value)


def test_every_route_is_described_for_openapi(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/gratitude_jar/notes"]) == {"get", "post"}
    assert set(paths["/api/v1/gratitude_jar/notes/{note_id}"]) == {"delete"}
    assert set(paths["/api/v1/gratitude_jar/drawn"]) == {"get"}


def test_a_note_id_beyond_any_stored_number_is_a_plain_404(ann):
    note_id = drop(ann, "still here")
    answer = ann.delete(f"{NOTES}/{2**63}")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
    assert [n["id"] for n in ann.get(NOTES).json["notes"]] == [note_id]


def test_taking_back_a_drawn_note_while_the_draw_is_off_tells_nobody(ann, bob, sockets, evening_draw):
    note_id = drop(ann, "drawn, then the draw was turned off")
    evening_draw()
    bob.grant(SCOPE, False)
    sockets.clear()
    assert ann.delete(f"{NOTES}/{note_id}").status_code == 200
    assert sockets.who_heard("gratitude_jar.draw_removed") == set()
    assert sockets.who_heard("gratitude_jar.taken_back") == {"ann"}


def test_forgetting_a_drawn_note_while_the_draw_is_off_tells_nobody(ann, bob, sockets, evening_draw):
    drop(ann, "drawn, then forgotten")
    evening_draw()
    ann.grant(SCOPE, False)
    sockets.clear()
    answer = ann.post("/api/v1/me/forget", json={"confirm": "forget my data", "password": "correct horse battery"})
    assert answer.status_code == 200 and "gratitude_jar" in answer.json["plugins"]
    assert sockets.who_heard("gratitude_jar.draw_removed") == set()
