"""The cool-down: lowering counts at once; raising after a comparison waits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hearthside.config import ConfigError
from hearthside.plugins.matcher import answers, jobs
from hearthside.testing import couple_id_of, onboard_couple
from matcher_testing import X, Y, Z, compare, events_after, last_event_id, matches, own, put, reveal


def test_before_the_first_comparison_every_change_counts_at_once(pair, matcher_clock):
    ann, bob = pair
    put(ann, {X: "no"})
    put(ann, {X: "yes"})
    assert own(ann)["waiting"] == {} and own(ann)["compared"] is False
    put(bob, {X: "yes"})
    reveal(ann, bob)
    assert matches(ann).json["both_yes"] == [X]


def test_a_raise_after_comparing_waits_and_a_lowering_does_not(pair, matcher_clock):
    ann, bob = pair
    put(ann, {X: "yes", Y: "yes", Z: "maybe"})
    put(bob, {X: "maybe", Y: "yes", Z: "no"})
    reveal(ann, bob)
    assert matches(ann).json == {"both_yes": [Y], "worth_discussing": [X]}
    assert own(bob)["compared"] is True

    raised = put(bob, {X: "yes", Z: "maybe"})  # two raises
    assert raised.status_code == 200
    assert raised.json["answers"][X] == "yes"  # what bob said is stored and shown to bob
    counts_from = (matcher_clock.now + timedelta(days=7)).isoformat(timespec="seconds")
    assert raised.json["waiting"] == {X: {"counts_from": counts_from, "counts_now": "maybe"},
                                      Z: {"counts_from": counts_from, "counts_now": "no"}}
    assert matches(ann).json == {"both_yes": [Y], "worth_discussing": [X]}  # nothing moved yet

    put(bob, {Y: "maybe"})  # lowering: at once
    assert matches(ann).json == {"both_yes": [], "worth_discussing": [X, Y]}

    matcher_clock.advance(days=7, seconds=-1)
    assert matches(ann).json == {"both_yes": [], "worth_discussing": [X, Y]}
    matcher_clock.advance(seconds=1)
    assert matches(ann).json == {"both_yes": [X], "worth_discussing": [Y, Z]}
    assert own(bob)["waiting"] == {}


def test_first_answers_after_comparing_wait_too(pair, matcher_clock):
    """Unanswered counts as no, so answering an item for the first time is a raise."""
    ann, bob = pair
    compare(ann, bob)  # the first look: from now on raises wait
    assert put(bob, {X: "yes"}).json["waiting"][X]["counts_now"] == "no"
    assert matches(ann).json["both_yes"] == []
    matcher_clock.advance(days=7)
    assert matches(ann).json["both_yes"] == [X]


def test_flipping_back_and_forth_never_shortens_the_wait(pair, matcher_clock):
    ann, bob = pair
    put(ann, {X: "yes"})
    put(bob, {X: "no"})
    reveal(ann, bob)
    matches(bob)
    first = put(bob, {X: "maybe"}).json["waiting"][X]["counts_from"]
    matcher_clock.advance(days=3)
    assert put(bob, {X: "yes"}).json["waiting"][X]["counts_from"] == first  # still waiting, same date
    put(bob, {X: "no"})  # back to what counts: the wait is cancelled
    assert own(bob)["waiting"] == {}
    matcher_clock.advance(days=1)
    again = put(bob, {X: "yes"}).json["waiting"][X]["counts_from"]
    assert datetime.fromisoformat(again) == matcher_clock.now.replace(microsecond=0) + timedelta(days=7)
    matcher_clock.advance(days=6)
    assert matches(ann).json["both_yes"] == []
    matcher_clock.advance(days=1)
    assert matches(ann).json["both_yes"] == [X]


def test_revoking_does_not_reset_the_cool_down(pair, matcher_clock):
    ann, bob = pair
    compare(ann, bob)
    reveal(bob, granted=False)
    assert put(bob, {X: "yes"}).json["waiting"] != {}
    reveal(bob)
    assert matches(ann).json["both_yes"] == []


def test_both_may_turn_the_reveal_on_first_and_then_answer(pair, matcher_clock):
    """Before anyone could see a result nothing can be probed, so answers count at once;
    the first change notice (or look) is the comparison, and later raises wait."""
    ann, bob = pair
    reveal(ann, bob)  # nobody has answered or opened the results yet
    assert own(ann)["compared"] is False
    assert put(ann, {X: "yes", Y: "yes"}).json["waiting"] == {}
    assert own(ann)["compared"] is False  # bob has no answers: the tiers did not move, nothing was announced
    assert put(bob, {X: "yes", Y: "maybe"}).json["waiting"] == {}  # the tiers move: announced, so compared
    assert own(bob)["compared"] is True
    assert matches(ann).json == {"both_yes": [X], "worth_discussing": [Y]}
    assert put(bob, {Y: "yes"}).json["waiting"] != {}  # from now on a raise waits
    assert matches(bob).json == {"both_yes": [X], "worth_discussing": [Y]}


def test_reading_the_results_is_comparing(pair, matcher_clock):
    ann, bob = pair
    reveal(ann, bob)
    assert matches(bob).json == {"both_yes": [], "worth_discussing": []}
    assert put(ann, {X: "yes"}).json["waiting"] != {}


def test_a_note_alone_changes_no_wait(pair, matcher_clock):
    ann, bob = pair
    compare(ann, bob)
    put(bob, {X: "maybe"})
    waiting = own(bob)["waiting"]
    put(bob, {}, notes={X: "only if we talk first"})
    assert own(bob)["waiting"] == waiting and own(bob)["notes"] == {X: "only if we talk first"}


def test_the_cool_down_is_configurable(make_app, matcher_clock):
    app = make_app(flags={"plugins.matcher.raise_cooldown_days": 0})
    ann, bob = onboard_couple(app.test_client())
    put(ann, {X: "yes"})
    reveal(ann, bob)
    assert put(bob, {X: "yes"}).json["waiting"] == {} and own(bob)["cooldown_days"] == 0
    assert matches(ann).json["both_yes"] == [X]
    page = app.test_client().get("/matcher", headers=ann.headers)
    assert "count straight away" in page.get_data(as_text=True)


def test_a_bad_cool_down_setting_is_refused(make_app):
    with pytest.raises(ConfigError) as caught:
        make_app(flags={"plugins.matcher.raise_cooldown_days": -1})
    assert "plugins.matcher.raise_cooldown_days" in str(caught.value)


def test_the_pages_say_it_plainly(shared_app, pair):
    ann, _bob = pair
    client = shared_app.test_client()
    for path in ("/matcher", "/matcher/compare"):
        text = " ".join(client.get(path, headers=ann.headers).get_data(as_text=True).split())
        assert "only counts after 7 days" in text and "Lowering</strong> an answer counts straight away" in text


@pytest.fixture
def lone(make_app):
    """A server of its own: the job below settles every couple's answers on the server it runs on."""
    app = make_app()
    return (app, *onboard_couple(app.test_client()))


def test_the_job_settles_matured_raises_and_tells_pages_only_when_the_tiers_move(lone, matcher_clock):
    app, ann, bob = lone
    hs = app.extensions["hearthside"]
    put(ann, {X: "yes", Y: "no"})
    reveal(ann, bob)
    matches(ann)
    put(bob, {X: "yes", Y: "yes"})
    assert jobs.settle_matured_raises(hs) == 0  # nothing has matured
    matcher_clock.advance(days=8)
    before = max(last_event_id(ann), last_event_id(bob))
    assert jobs.settle_matured_raises(hs) == 2
    events = events_after(ann, before)
    assert [e["type"] for e in events] == ["matcher.matches.changed"]  # X moved; Y (ann said no) did not
    assert events == events_after(bob, before) and events[0]["actor_id"] is None
    assert own(bob)["waiting"] == {} and matches(ann).json["both_yes"] == [X]
    with hs.storage.connection() as db:
        states = answers.load_answers(hs, db, couple_id_of(app, bob.id), bob.id)[bob.id]
    assert all(state.counts_from is None for state in states.values())
    assert jobs.settle_matured_raises(hs) == 0


def test_the_job_is_silent_while_the_reveal_is_off(lone, matcher_clock):
    app, ann, bob = lone
    hs = app.extensions["hearthside"]
    compare(ann, bob)
    put(bob, {X: "yes"})
    reveal(ann, granted=False)
    matcher_clock.advance(days=8)
    before = last_event_id(ann)
    assert jobs.settle_matured_raises(hs) == 1
    assert events_after(ann, before) == [] and events_after(bob, before) == []


def test_the_job_is_scheduled(shared_app):
    hs = shared_app.extensions["hearthside"]
    jobs_offered = [job for offered in hs.plugins.call("hearthside_scheduled_jobs", hs=hs) for job in offered]
    assert "matcher.settle_raises" in [job.id for job in jobs_offered]
