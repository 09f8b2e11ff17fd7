"""Reflections: private ratings and notes; shared only as counts, only while the scope is on."""

from __future__ import annotations

from touch_testing import API, events_after, last_event_id, ok, practise, refused, text_of

SCOPE = "touch.share_reflections"
NOTE = "NOTE-only-ann-may-read-this"


def ended_sessions(member, n: int) -> list[int]:
    practise(member, n)
    return [s["id"] for s in ok(member.get(f"{API}/sessions"))["past"]][::-1]


def reflect(member, session_id: int, safe: int, comfortable: int, note: str = "") -> dict:
    return ok(member.put(f"{API}/reflections", json={"session_id": session_id, "safe": safe,
                                                     "comfortable": comfortable, "note": note}))["reflection"]


def consent(member, granted: bool = True) -> None:
    ok(member.put(f"/api/v1/consents/{SCOPE}", json={"granted": granted}))


def test_a_reflection_is_private_to_its_author_and_editable(app, couple):
    ann, bob = couple
    (session,) = ended_sessions(ann, 1)
    assert ok(ann.get(API))["reflection_due"]["id"] == session
    start = last_event_id(bob)
    saved = reflect(ann, session, 4, 3, NOTE)
    assert (saved["safe"], saved["comfortable"], saved["note"]) == (4, 3, NOTE)
    edited = reflect(ann, session, 5, 4, "  better on reflection  ")
    assert (edited["safe"], edited["note"], edited["created_at"]) == (5, "better on reflection", saved["created_at"])
    assert ok(ann.get(API))["reflection_due"] is None
    assert [r["safe"] for r in ok(ann.get(f"{API}/reflections"))["reflections"]] == [5]
    # Bob reads none of it, anywhere, and hears nothing of it.
    assert ok(bob.get(f"{API}/reflections"))["reflections"] == []
    assert ok(bob.get(API))["reflection_due"]["id"] == session  # his own is still due
    assert events_after(bob, start) == []
    ann_events = events_after(ann, start)
    assert {(e["type"], e["visibility"], e["audience_id"]) for e in ann_events} == \
        {("touch.reflection_saved", "private", ann.id)}
    assert NOTE not in text_of(ann_events)  # not even in her own event


def test_shared_counts_only_while_everyone_consents_and_never_notes(app, couple):
    ann, bob = couple
    sessions = ended_sessions(ann, 6)
    ratings = [((5, 5), (4, 5)), ((5, 4), (2, 4)), ((4, 4), (5, 3)), ((5, 5), (5, 5)), ((3, 5), (5, 5))]
    for session, (a, b) in zip(sessions[1:], ratings):
        reflect(ann, session, *a, note=NOTE)
        reflect(bob, session, *b)
    reflect(ann, sessions[0], 1, 1, NOTE)  # bob never reflected on the first: it is not counted
    error = refused(app, lambda: ann.get(f"{API}/reflections/shared"), 403, "consent_required")
    assert SCOPE in error["message"]
    consent(ann)
    refused(app, lambda: bob.get(f"{API}/reflections/shared"), 403, "consent_required")  # one yes is not enough
    consent(bob)
    shared = ok(bob.get(f"{API}/reflections/shared"))
    assert shared == {
        "sessions": 5, "everyone_felt_safe": 3, "everyone_felt_comfortable": 4,
        "lines": ["Both of you felt safe in 3 of the last 5 sessions you reflected on.",
                  "Both of you felt comfortable in 4 of the last 5 sessions you reflected on."],
    }
    assert NOTE not in text_of(shared) and ok(ann.get(API))["reflections_shared"] is True
    # Revoked by either: gone at once.
    consent(ann, False)
    refused(app, lambda: bob.get(f"{API}/reflections/shared"), 403, "consent_required")


def test_bad_reflections_are_refused_and_nothing_is_stored(app, client, couple):
    from hearthside.testing import join_new_couple

    ann, bob = couple
    (session,) = ended_sessions(ann, 1)
    good = {"session_id": session, "safe": 3, "comfortable": 3}
    for body, status, code in [
        ({**good, "safe": 0}, 400, "invalid_field"),
        ({**good, "safe": 6}, 400, "invalid_field"),
        ({**good, "comfortable": "4"}, 400, "invalid_field"),
        ({**good, "comfortable": 3.5}, 400, "invalid_field"),
        ({"safe": 3, "comfortable": 3}, 400, "invalid_field"),
        ({**good, "note": "x" * 2001}, 400, "invalid_field"),
        ({**good, "note": ["list"]}, 400, "invalid_field"),
        ({**good, "session_id": 999}, 404, "unknown_session"),
    ]:
        refused(app, lambda: ann.put(f"{API}/reflections", json=body), status, code)
    ok(ann.post(f"{API}/session", json={}), 201)
    running = ok(ann.get(f"{API}/session"))["session"]["id"]
    refused(app, lambda: ann.put(f"{API}/reflections", json={**good, "session_id": running}), 409, "not_ended")
    # Another couple's session is "no such session", the same words as one that does not exist.
    cat, _dan = join_new_couple(client, ann)
    error = refused(app, lambda: cat.put(f"{API}/reflections", json=good), 404, "unknown_session")
    assert error == ok_error(ann.put(f"{API}/reflections", json={**good, "session_id": 999}))


def ok_error(answer) -> dict:
    return answer.get_json()["error"]
