"""Reading and responding: read receipts, replies, unread counts, and questions that stay open."""

from __future__ import annotations

from datetime import datetime, timedelta

from transparency_testing import API, events_for, share, snapshot, written

from hearthside.testing import PASSWORD, couple_id_of, hs_of


def test_a_read_receipt_is_kept_once_and_shown_to_the_author(shared_app, pair):
    ann, bob = pair
    entry = written(ann)
    first = bob.post(f"{API}/entries/{entry['id']}/acknowledge")
    assert first.status_code == 201
    assert first.json == {"entry_id": entry["id"], "member_id": bob.id, "at": first.json["at"]}
    before = snapshot(shared_app)
    again = bob.post(f"{API}/entries/{entry['id']}/acknowledge")
    assert again.status_code == 200 and again.json == first.json  # nothing new, and it says so
    assert snapshot(shared_app) == before
    seen_by_author = ann.get(f"{API}/entries/{entry['id']}").json["entry"]["acknowledged_by"]
    assert seen_by_author == [{"member_id": bob.id, "at": first.json["at"]}]
    # The author hears of it on their own stream; the receipt's event is private to them (and to bob's devices).
    told = events_for(ann, "transparency.acknowledged")
    assert [(e["audience_id"], e["payload"]["entry_id"]) for e in told] == [(ann.id, entry["id"])]


def test_acknowledging_what_cannot_be_acknowledged_is_refused_and_writes_nothing(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    entry = written(ann)
    notice = next(e for e in bob.get(f"{API}/entries").json["entries"]
                  if e["kind"] == "sharing" and e["author_id"] == ann.id)
    before = snapshot(shared_app)
    for member, target, status, code in [
        (ann, entry["id"], 400, "own_entry"),
        (bob, notice["id"], 400, "not_acknowledgeable"),
        (bob, 999999, 404, "entry_not_found"),
        (cat, entry["id"], 404, "entry_not_found"),
    ]:
        answer = member.post(f"{API}/entries/{target}/acknowledge")
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code)
    assert snapshot(shared_app) == before


def test_unread_counts_what_the_partner_wrote_and_i_have_not_acknowledged(shared_app, pair):
    ann, bob = pair
    first, second = written(ann, "One."), written(ann, "Two.")
    written(bob, "Bob's own entry never counts for bob.")
    assert bob.get(f"{API}/status").json["unread"] == 2
    assert ann.get(f"{API}/status").json["unread"] == 1
    bob.post(f"{API}/entries/{first['id']}/acknowledge")
    assert bob.get(f"{API}/status").json["unread"] == 1
    assert bob.get(f"{API}/entries").json["unread"] == 1
    # The phone's menu shows it too.
    browser = shared_app.test_client()
    signed_in = browser.post("/api/v1/auth/session", json={"username": bob.username, "password": PASSWORD})
    assert signed_in.status_code == 200
    assert "Transparency (1)" in browser.get("/").get_data(as_text=True)
    bob.post(f"{API}/entries/{second['id']}/acknowledge")
    page = browser.get("/").get_data(as_text=True)
    assert ">Transparency<" in page and "Transparency (" not in page


def test_a_reply_is_a_record_of_the_chain_that_refers_to_the_entry(pair):
    ann, bob = pair
    entry = written(ann, "Met Sam for ten minutes to return a book.", "contact")
    answer = bob.post(f"{API}/entries/{entry['id']}/replies", json={"text": "  I'm glad you told me.  "})
    assert answer.status_code == 201
    reply = answer.json
    assert (reply["kind"], reply["relation"], reply["refers_to"], reply["author_id"], reply["text"]) == \
        ("reply", "reply", entry["id"], bob.id, "I'm glad you told me.")
    assert reply["seq"] == entry["seq"] + 1
    assert ann.get(f"{API}/entries/{entry['id']}").json["entry"]["replies"] == [reply["id"]]
    assert ann.get(f"{API}/status").json["unread"] == 1  # the author has a reply to read
    assert ann.get(f"{API}/verify").json["intact"] is True
    # The author may answer the reply in turn.
    assert ann.post(f"{API}/entries/{reply['id']}/replies", json={"text": "Thank you."}).status_code == 201


def test_replies_that_cannot_be_made_are_refused_and_write_nothing(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    entry = written(ann)
    question = bob.post(f"{API}/questions", json={"text": "Where were you on Friday?"}).json
    notice = next(e for e in bob.get(f"{API}/entries").json["entries"]
                  if e["kind"] == "sharing" and e["author_id"] == ann.id)
    before = snapshot(shared_app)
    for member, target, body, status, code in [
        (bob, entry["id"], {}, 400, "invalid_field"),
        (bob, entry["id"], {"text": " "}, 400, "invalid_field"),
        (bob, entry["id"], {"text": ["no"]}, 400, "invalid_field"),
        (bob, question["id"], {"text": "x"}, 400, "cannot_reply"),
        (bob, notice["id"], {"text": "x"}, 400, "cannot_reply"),
        (bob, 999999, {"text": "x"}, 404, "entry_not_found"),
        (cat, entry["id"], {"text": "x"}, 404, "entry_not_found"),
    ]:
        answer = member.post(f"{API}/entries/{target}/replies", json=body)
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body
    share(bob, False)
    before = snapshot(shared_app)
    answer = bob.post(f"{API}/entries/{entry['id']}/replies", json={"text": "x"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "consent_required"
    assert snapshot(shared_app) == before


def test_a_question_stays_open_with_its_age_until_the_partner_answers(pair):
    ann, bob = pair
    asked = bob.post(f"{API}/questions", json={"text": "Have you been in touch with Sam since March?"})
    assert asked.status_code == 201
    question = asked.json
    assert (question["kind"], question["author_id"]) == ("question", bob.id)
    listed = ann.get(f"{API}/questions").json["questions"]
    assert [(q["id"], q["status"], q["answered_at"]) for q in listed] == [(question["id"], "open", None)]
    assert listed[0]["age_seconds"] >= 0
    assert ann.get(f"{API}/status").json["open_questions"] == {"asked_of_you": 1, "asked_by_you": 0}
    assert bob.get(f"{API}/status").json["open_questions"] == {"asked_of_you": 0, "asked_by_you": 1}
    answered = ann.post(f"{API}/questions/{question['id']}/answers", json={"text": "Once, in April: a text I ignored."})
    assert answered.status_code == 201
    answer = answered.json
    assert (answer["kind"], answer["relation"], answer["refers_to"]) == ("answer", "answer", question["id"])
    listed = bob.get(f"{API}/questions").json["questions"]
    assert listed[0]["status"] == "answered" and listed[0]["answered_at"] == answer["created_at"]
    assert [a["text"] for a in listed[0]["answer_entries"]] == ["Once, in April: a text I ignored."]
    assert bob.get(f"{API}/status").json["open_questions"] == {"asked_of_you": 0, "asked_by_you": 0}


def test_open_questions_come_first_and_their_age_grows_with_the_clock(shared_app, pair):
    from hearthside.plugins.transparency import model

    ann, bob = pair
    old = bob.post(f"{API}/questions", json={"text": "First question."}).json
    newer = bob.post(f"{API}/questions", json={"text": "Second question."}).json
    ann.post(f"{API}/questions/{old['id']}/answers", json={"text": "An answer."})
    asked_at = datetime.fromisoformat(newer["created_at"])
    with hs_of(shared_app).storage.connection() as db:
        later = model.questions(db, couple_id_of(shared_app, ann), asked_at + timedelta(days=3, hours=2))
    assert [(q["id"], q["status"]) for q in later] == [(newer["id"], "open"), (old["id"], "answered")]
    assert later[0]["age_seconds"] == 3 * 86400 + 7200
    answered_after = (datetime.fromisoformat(later[1]["answered_at"]) - datetime.fromisoformat(old["created_at"]))
    assert later[1]["age_seconds"] == int(answered_after.total_seconds())  # frozen once answered


def test_answers_that_cannot_be_given_are_refused_and_write_nothing(shared_app, pair, strangers):
    ann, bob = pair
    cat, _dan = strangers
    question = bob.post(f"{API}/questions", json={"text": "Why then?"}).json
    entry = written(ann)
    before = snapshot(shared_app)
    for member, target, body, status, code in [
        (bob, question["id"], {"text": "Answering myself."}, 400, "own_question"),
        (ann, entry["id"], {"text": "Not a question."}, 404, "question_not_found"),
        (ann, question["id"], {"text": ""}, 400, "invalid_field"),
        (ann, question["id"], {}, 400, "invalid_field"),
        (ann, 999999, {"text": "x"}, 404, "entry_not_found"),
        (cat, question["id"], {"text": "x"}, 404, "entry_not_found"),
    ]:
        answer = member.post(f"{API}/questions/{target}/answers", json=body)
        assert (answer.status_code, answer.json["error"]["code"]) == (status, code), body
    for body in ({}, {"text": 5}, {"text": "q" * 4001}):
        assert bob.post(f"{API}/questions", json=body).status_code == 400
    assert snapshot(shared_app) == before
