"""Entries: kinds, text, when, tags; sharing by the author's own consent; corrections; append-only."""

from __future__ import annotations

import re
from pathlib import Path

from transparency_testing import API, SHARE, events_for, share, snapshot, write, written

PLUGIN_DIR = Path(__file__).resolve().parent.parent


def test_writing_needs_the_writers_own_sharing_consent_and_nothing_else(shared_app, shy_pair):
    ann, bob = shy_pair
    before = snapshot(shared_app)
    refused = write(ann)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "consent_required"
    assert SHARE in refused.json["error"]["message"] and "your consent" in refused.json["error"]["message"]
    assert snapshot(shared_app) == before
    share(ann)  # one-sided: bob's consent is neither needed nor asked for
    entry = written(ann, "Lunch with my sister, back at 14:00.")
    assert [e["id"] for e in bob.get(f"{API}/entries").json["entries"] if e["kind"] == "plan"] == [entry["id"]]
    assert write(bob).status_code == 403  # ann's grant never shares what bob writes


def test_every_kind_of_entry_carries_text_when_and_tags(pair):
    ann, bob = pair
    for kind in ("plan", "whereabouts", "contact", "disclosure", "breach", "note"):
        entry = written(ann, f"A {kind} entry.", kind, occurred_at="2024-05-01T19:30",
                        tags=["evening", " work  ", "Evening"])
        assert entry["kind"] == kind and entry["text"] == f"A {kind} entry." and entry["author_id"] == ann.id
        assert entry["occurred_at"] == "2024-05-01T19:30+02:00"  # read in the couple's zone (Europe/Berlin, summer)
        assert entry["tags"] == ["evening", "work"]  # trimmed, duplicates (any case) dropped
        assert bob.get(f"{API}/entries/{entry['id']}").json["entry"] == entry


def test_when_accepts_an_offset_and_defaults_to_now(pair):
    ann, _bob = pair
    entry = written(ann, occurred_at="2024-12-24T18:00:00Z")
    assert entry["occurred_at"] == "2024-12-24T19:00+01:00"
    entry = written(ann)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d[+-]\d\d:\d\d", entry["occurred_at"])


BAD_BODIES = [
    ({"text": "x"}, "kind"),
    ({"kind": "reply", "text": "x"}, "kind"),
    ({"kind": "gossip", "text": "x"}, "kind"),
    ({"kind": "plan"}, "text"),
    ({"kind": "plan", "text": "   "}, "text"),
    ({"kind": "plan", "text": 42}, "text"),
    ({"kind": "plan", "text": "x" * 4001}, "text"),
    ({"kind": "plan", "text": "x", "occurred_at": "tomorrow"}, "occurred_at"),
    ({"kind": "plan", "text": "x", "occurred_at": "1999-01-01T10:00"}, "occurred_at"),
    ({"kind": "plan", "text": "x", "occurred_at": "2199-01-01T10:00"}, "occurred_at"),
    ({"kind": "plan", "text": "x", "occurred_at": 1714583400}, "occurred_at"),
    ({"kind": "plan", "text": "x", "tags": "work"}, "tags"),
    ({"kind": "plan", "text": "x", "tags": ["ok", 3]}, "tags"),
    ({"kind": "plan", "text": "x", "tags": ["  "]}, "tag"),
    ({"kind": "plan", "text": "x", "tags": ["t" * 41]}, "tag"),
    ({"kind": "plan", "text": "x", "tags": [f"t{i}" for i in range(11)]}, "tags"),
    ({"kind": "plan", "text": "x", "refers_to": 1}, "refers_to"),
    ({"kind": "plan", "text": "x", "relation": "correction"}, "refers_to"),
    ({"kind": "plan", "text": "x", "refers_to": "1", "relation": "correction"}, "refers_to"),
    ({"kind": "plan", "text": "x", "refers_to": True, "relation": "correction"}, "refers_to"),
    ({"kind": "plan", "text": "x", "refers_to": 1, "relation": "reply"}, "relation"),
]


def test_bad_input_is_a_clear_400_that_writes_nothing(shared_app, pair):
    ann, _bob = pair
    written(ann)  # so that refers_to=1 could name something
    before = snapshot(shared_app)
    for body, field in BAD_BODIES:
        answer = ann.post(f"{API}/entries", json=body)
        assert answer.status_code == 400, (body, answer.json)
        assert answer.json["error"]["code"] == "invalid_field"
        assert field in answer.json["error"]["message"], (body, answer.json)
    for data, code in [(None, "body_required"), ("[1, 2]", "invalid_json"), ("{not json", "invalid_json")]:
        answer = ann.post(f"{API}/entries", data=data, content_type="application/json")
        assert answer.status_code == 400 and answer.json["error"]["code"] == code
    assert snapshot(shared_app) == before


def test_error_messages_never_repeat_what_was_written(pair):
    ann, _bob = pair
    secret = "SECRET-I-met-them-at-the-station"
    for body in ({"kind": "gossip", "text": secret}, {"kind": "plan", "text": secret, "tags": [secret * 2]},
                 {"kind": "plan", "text": secret * 200}):
        answer = ann.post(f"{API}/entries", json=body)
        assert answer.status_code == 400 and "SECRET" not in answer.get_data(as_text=True)


def test_a_correction_or_addendum_is_a_new_entry_shown_with_the_original(pair):
    ann, bob = pair
    original = written(ann, "At the office until 18:00.", "whereabouts")
    correction = written(ann, "I left the office at 17:00, not 18:00.", "whereabouts",
                         refers_to=original["id"], relation="correction")
    addendum = written(ann, "Then I walked home.", "note", refers_to=original["id"], relation="addendum")
    assert correction["seq"] == original["seq"] + 1 and addendum["seq"] == original["seq"] + 2
    seen = bob.get(f"{API}/entries/{original['id']}").json
    assert seen["entry"]["text"] == "At the office until 18:00."  # the original is never rewritten
    assert seen["entry"]["corrections"] == [{"id": correction["id"], "relation": "correction"},
                                            {"id": addendum["id"], "relation": "addendum"}]
    assert [r["id"] for r in seen["related"]] == [correction["id"], addendum["id"]]
    back = bob.get(f"{API}/entries/{correction['id']}").json
    assert back["related"][0]["id"] == original["id"] and back["entry"]["refers_to"] == original["id"]


def test_only_ones_own_entries_can_be_corrected(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    entry = written(ann)
    reply = bob.post(f"{API}/entries/{entry['id']}/replies", json={"text": "Thanks for telling me."}).json
    before = snapshot(shared_app)
    for member, target, status, code in [
        (bob, entry["id"], 400, "not_your_entry"),   # the partner's entry: reply instead
        (bob, reply["id"], 400, "not_your_entry"),   # a reply is not an entry of the six kinds
        (ann, 999999, 404, "entry_not_found"),
        (cat, entry["id"], 404, "entry_not_found"),  # another couple: the same answer as a missing id
    ]:
        answer = write(member, "Correction.", refers_to=target, relation="correction")
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code)
    assert snapshot(shared_app) == before


def test_no_route_can_update_or_delete_anything(shared_app, pair):
    ann, bob = pair
    entry = written(ann, "The original words.")
    methods = {method for rule in shared_app.url_map.iter_rules()
               if rule.endpoint.startswith(("transparency_api.", "transparency_pages."))
               for method in rule.methods}
    assert methods <= {"GET", "POST", "HEAD", "OPTIONS"}
    before = snapshot(shared_app)
    for caller in (ann, bob):
        for method in ("PUT", "PATCH", "DELETE"):
            answer = caller.client.open(f"{API}/entries/{entry['id']}", method=method, headers=caller.headers,
                                        json={"text": "Rewritten."})
            assert answer.status_code == 405 and answer.is_json
    assert snapshot(shared_app) == before
    assert ann.get(f"{API}/entries/{entry['id']}").json["entry"]["text"] == "The original words."


def test_the_pages_offer_no_way_to_edit_or_delete():
    script = " ".join(p.read_text() for p in sorted((PLUGIN_DIR / "static").glob("*.js")))  # every page's script
    calls = re.findall(r'HS\.api\(\s*"(\w+)",\s*([^,)]+)', script)
    assert calls and {method for method, _ in calls} <= {"GET", "POST", "PUT"}
    assert [path for method, path in calls if method == "PUT"] == ['"/api/v1/consents/transparency.share"']
    templates = " ".join(p.read_text() for p in (PLUGIN_DIR / "templates").rglob("*.html")).lower()
    assert not re.search(r"\b(edit|delete)\b", templates)


def test_revoking_stops_new_sharing_tells_the_partner_and_keeps_what_was_shared(shared_app, pair):
    ann, bob = pair
    first = written(ann, "Coffee with a colleague, 15:00.")
    share(ann, False)
    # The partner is told: a private event on their stream, and a notice in the log itself.
    told = events_for(bob, "transparency.sharing_changed")
    assert told[-1]["payload"]["sharing"] is False and told[-1]["audience_id"] == bob.id
    assert "stopped sharing" in told[-1]["payload"]["summary"]
    notice = bob.get(f"{API}/entries").json["entries"][0]
    assert (notice["kind"], notice["text"], notice["author_id"]) == ("sharing", "off", ann.id)
    # New sharing stops at once; what was shared stays readable.
    before = snapshot(shared_app)
    assert write(ann, "Written while sharing is off.").status_code == 403
    assert snapshot(shared_app) == before
    assert bob.get(f"{API}/entries/{first['id']}").json["entry"]["text"] == "Coffee with a colleague, 15:00."
    assert bob.get(f"{API}/status").json["sharing"] == {str(ann.id): False, str(bob.id): True}
    share(ann)
    assert bob.get(f"{API}/entries").json["entries"][0]["text"] == "on"
    assert events_for(bob, "transparency.sharing_changed")[-1]["payload"]["sharing"] is True
    written(ann, "Sharing again.")


def test_repeating_a_grant_adds_no_second_notice(pair):
    ann, bob = pair
    notices = lambda: [e for e in bob.get(f"{API}/entries").json["entries"] if e["kind"] == "sharing"]  # noqa: E731
    assert len(notices()) == 2  # ann on, bob on
    ann.put(f"/api/v1/consents/{SHARE}", json={"granted": True})
    assert len(notices()) == 2


def test_listing_pages_back_and_checks_its_parameters(pair):
    ann, _bob = pair
    ids = [written(ann, f"Entry {n}.")["id"] for n in range(5)]
    page = ann.get(f"{API}/entries?limit=2").json["entries"]
    assert [e["id"] for e in page] == ids[:-3:-1]
    older = ann.get(f"{API}/entries?limit=2&before_seq={page[-1]['seq']}").json["entries"]
    assert [e["id"] for e in older] == [ids[2], ids[1]]
    for query in ("limit=0", "limit=201", "limit=x", "before_seq=-1", "before_seq=0"):
        answer = ann.get(f"{API}/entries?{query}")
        assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_parameter"


def test_a_record_of_another_couple_is_not_found(pair, strangers):
    ann, _bob = pair
    cat, _dan = strangers
    entry = written(ann)
    answer = cat.get(f"{API}/entries/{entry['id']}")
    assert answer.status_code == 404 and answer.json["error"]["code"] == "entry_not_found"
    assert [e for e in cat.get(f"{API}/entries").json["entries"] if e["kind"] != "sharing"] == []
