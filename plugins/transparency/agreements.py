"""Time-boxed transparency agreements: what will be shared, until when.

An agreement lists what the couple agreed to share ("plans for evenings
out", "any contact with X") and runs until a review date. Each change is a
new *version* (a row whose items and date are never rewritten - a trigger
refuses it): proposed by one member, signed by every member, then active.
The previously active version is kept as *superseded*.

When the review date arrives, the scheduled job marks the active version
``review_due`` and asks both members (a couple event) to renew it (same
items, a new date), change it (propose new items) or end it. Ending is
stepping back, so either member may do it alone, in one tap, without a
reason (cardinal rule 4); moving forward - any new version - needs both.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hearthside.plugin_api import Conflict, NotFound, emit, one_row, utc_now

from .consensus import Yeses
from .model import couple_time_zone
from .validate import bad, iso

MAX_ITEMS = 20
MAX_ITEM_LENGTH = 200
LONGEST_DAYS = 366
SIGNATURES = Yeses("transparency_agreement_signatures", "agreement_id", "signed_at")


def version_json(db, row: dict) -> dict:
    return {
        "id": row["id"], "version": row["version"], "items": json.loads(row["items"]), "review_on": row["review_on"],
        "proposed_by": row["proposed_by"], "created_at": row["created_at"], "status": row["status"],
        "activated_at": row["activated_at"], "review_due": row["review_due_at"] is not None,
        "review_due_at": row["review_due_at"], "closed_at": row["closed_at"], "closed_by": row["closed_by"],
        "signed_by": SIGNATURES.listed(db, row["id"]),
    }


def state(db, couple_id: int) -> dict:
    """The active version, the one waiting for signatures, and every version newest first."""
    rows = list(db.query("SELECT * FROM transparency_agreements WHERE couple_id = ? ORDER BY version DESC",
                         [couple_id]))
    current = next((row for row in rows if row["status"] == "active"), None)
    pending = next((row for row in rows if row["status"] == "proposed"), None)
    return {
        "current": version_json(db, current) if current else None,
        "pending": version_json(db, pending) if pending else None,
        "versions": [version_json(db, row) for row in rows],
    }


def today_in(time_zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(time_zone)).date()


def check_review_date(review_on: date, today: date) -> None:
    if not today < review_on <= today + timedelta(days=LONGEST_DAYS):
        bad(f"'review_on' must be a date after today and at most {LONGEST_DAYS} days ahead.")


def _find(db, couple_id: int, agreement_id: int, status: str) -> dict:
    row = one_row(db, "SELECT * FROM transparency_agreements WHERE id = ? AND couple_id = ?", [agreement_id, couple_id],
                  NotFound("agreement_not_found", "There is no agreement version with that id."))
    if row["status"] != status:
        wanted = {"proposed": "waiting for signatures", "active": "the active agreement"}[status]
        raise Conflict("agreement_not_" + status, f"This version is not {wanted} (it is {row['status']}).")
    return row


def _announce(db, couple_id: int, agreement_id: int, status: str, actor_id: int | None, summary: str) -> None:
    emit(db, "transparency.agreement_changed", couple_id,
         {"agreement_id": agreement_id, "status": status, "summary": summary},
         visibility="couple", actor_id=actor_id)


def propose(db, principal, items: list[str], review_on: date, now: datetime) -> dict:
    """A new version, signed by its proposer; a version still waiting is superseded by it."""
    couple_id, member_id = principal.couple_id, principal.member_id
    with db.atomic():
        db.execute("UPDATE transparency_agreements SET status = 'superseded', closed_at = ?, closed_by = ? "
                   "WHERE couple_id = ? AND status = 'proposed'", [iso(now), member_id, couple_id])
        version = db.execute("SELECT coalesce(max(version), 0) + 1 FROM transparency_agreements WHERE couple_id = ?",
                             [couple_id]).fetchone()[0]
        agreement_id = db["transparency_agreements"].insert({
            "couple_id": couple_id, "version": version, "items": json.dumps(items, ensure_ascii=False),
            "review_on": review_on.isoformat(), "proposed_by": member_id, "created_at": iso(now),
            "status": "proposed"}).last_pk
        SIGNATURES.record(db, agreement_id, member_id, now)
        if not _activate_if_signed(db, couple_id, agreement_id, member_id, now):
            _announce(db, couple_id, agreement_id, "proposed", member_id,
                      f"Version {version} of your transparency agreement is waiting for your signature.")
        return version_json(db, db["transparency_agreements"].get(agreement_id))


def _activate_if_signed(db, couple_id: int, agreement_id: int, actor_id: int, now: datetime) -> bool:
    if not SIGNATURES.from_everyone(db, couple_id, agreement_id):
        return False
    db.execute("UPDATE transparency_agreements SET status = 'superseded', closed_at = ?, closed_by = ? "
               "WHERE couple_id = ? AND status = 'active'", [iso(now), actor_id, couple_id])
    db["transparency_agreements"].update(agreement_id, {"status": "active", "activated_at": iso(now)})
    _announce(db, couple_id, agreement_id, "active", actor_id, "Your transparency agreement is signed by both of you.")
    return True


def sign(db, principal, agreement_id: int, now: datetime) -> dict:
    with db.atomic():
        _find(db, principal.couple_id, agreement_id, "proposed")
        SIGNATURES.add(db, agreement_id, principal.member_id, now,
                       Conflict("already_signed", "You have already signed this version; it waits for your partner."))
        _activate_if_signed(db, principal.couple_id, agreement_id, principal.member_id, now)
        return version_json(db, db["transparency_agreements"].get(agreement_id))


def decline(db, principal, agreement_id: int, now: datetime) -> dict:
    """The partner declines a proposed version; the proposer withdraws it. The active one stays."""
    with db.atomic():
        row = _find(db, principal.couple_id, agreement_id, "proposed")
        status = "withdrawn" if row["proposed_by"] == principal.member_id else "declined"
        db["transparency_agreements"].update(agreement_id, {"status": status, "closed_at": iso(now),
                                                            "closed_by": principal.member_id})
        _announce(db, principal.couple_id, agreement_id, status, principal.member_id,
                  f"A proposed version of your transparency agreement was {status}.")
        return version_json(db, db["transparency_agreements"].get(agreement_id))


def renew(db, principal, agreement_id: int, review_on: date, now: datetime) -> dict:
    """Propose the active version's items again with a new review date (both sign again)."""
    row = _find(db, principal.couple_id, agreement_id, "active")
    return propose(db, principal, json.loads(row["items"]), review_on, now)


def end(db, principal, agreement_id: int, now: datetime) -> dict:
    """Either member may end the active agreement alone: stepping back needs no one's yes."""
    with db.atomic():
        _find(db, principal.couple_id, agreement_id, "active")
        db["transparency_agreements"].update(agreement_id, {"status": "ended", "closed_at": iso(now),
                                                            "closed_by": principal.member_id})
        _announce(db, principal.couple_id, agreement_id, "ended", principal.member_id,
                  "Your transparency agreement was ended. It stays readable in its history.")
        return version_json(db, db["transparency_agreements"].get(agreement_id))


def review_job(hs) -> None:
    """The scheduled job: flag agreements whose review date has come (read on the scheduler's clock)."""
    with hs.storage.connection() as db:
        flag_due_reviews(db, utc_now(hs))


def flag_due_reviews(db, now: datetime) -> list[int]:
    """The scheduled job's work: ask both members once when an active version reaches its date.

    Each couple's "today" is read in the couple's own time zone. Returns the
    ids flagged, so a second run the same day flags nothing again.
    """
    flagged = []
    due = list(db.query("SELECT id, couple_id, version, review_on FROM transparency_agreements "
                        "WHERE status = 'active' AND review_due_at IS NULL"))
    for row in due:
        time_zone = couple_time_zone(db, row["couple_id"])
        if time_zone is None or today_in(time_zone, now) < date.fromisoformat(row["review_on"]):
            continue
        with db.atomic():
            db["transparency_agreements"].update(row["id"], {"review_due_at": iso(now)})
            emit(db, "transparency.agreement_review_due", row["couple_id"],
                 {"agreement_id": row["id"], "version": row["version"],
                  "summary": "Your transparency agreement reached its review date: renew it, change it or end it."},
                 visibility="couple")
        flagged.append(row["id"])
    return flagged
