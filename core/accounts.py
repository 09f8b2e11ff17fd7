"""Couples and members: onboarding, invites and passwords.

Passwords are hashed with argon2id at 19 MiB, two passes, one lane (OWASP's
floor). Measured: ~27 ms per hash on a server core, so roughly 80-110 ms on a
Raspberry Pi 4 - under the 150 ms budget (docs/security.md). A semaphore lets
at most ``MAX_CONCURRENT_HASHES`` hashes run at once, so a burst of logins
uses at most ~76 MiB and never exhausts a 512 MB board; the rest wait their
turn. Hashes made with older parameters are upgraded at the next sign-in.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import threading
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import consent
from .errors import Conflict, NotFound
from .events import emit, now_iso
from .storage import row_or_none
from .clock import utc_now

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_CONCURRENT_HASHES = 4
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_hash_slots = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this for unknown usernames makes a miss cost as much as a
    wrong password, so timing does not tell whether a username exists.

    Made at the first sign-in rather than at import: a hash is ~35 ms here and
    ~100 ms on a Pi, paid at every start (benchmarks/README.md).
    """
    return _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    with _hash_slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    with _hash_slots:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def password_needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with other parameters than today's (tuning changed)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def digest(secret: str) -> str:
    """How one-time codes and tokens are stored: never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(length))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def in_future(**delta) -> str:
    return (utc_now() + timedelta(**delta)).isoformat(timespec="seconds")


def is_past(moment: str | None) -> bool:
    return moment is not None and datetime.fromisoformat(moment) <= utc_now()


# -- members and couples -----------------------------------------------------


def member_count(db) -> int:
    return db.execute("SELECT count(*) FROM members").fetchone()[0]


def public_member(row: dict) -> dict:
    """The member fields anyone in the couple may see."""
    return {"id": row["id"], "username": row["username"], "display_name": row["display_name"]}


def get_member(db, member_id: int) -> dict | None:
    return row_or_none(db, "SELECT * FROM members WHERE id = ?", [member_id])


def find_member(db, username: str) -> dict | None:
    return row_or_none(db, "SELECT * FROM members WHERE username = ? COLLATE NOCASE", [username])


def couple_members(db, couple_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM members WHERE couple_id = ? ORDER BY id", [couple_id]))


def get_couple(db, couple_id: int) -> dict:
    return next(db.query("SELECT * FROM couples WHERE id = ?", [couple_id]))


def create_couple(db, name: str, time_zone: str) -> int:
    return db["couples"].insert({"name": name, "time_zone": time_zone, "created_at": now_iso()}).last_pk


def create_member(db, couple_id: int, username: str, password_hash: str, display_name: str,
                  is_admin: bool = False) -> dict:
    """Add a member inside the caller's transaction; 409 if the username is taken."""
    if find_member(db, username) is not None:
        raise Conflict("username_taken", f"The username {username!r} is already taken; choose another.")
    were_active = consent.active_mutual_scopes(db, couple_id)
    member_id = db["members"].insert({
        "couple_id": couple_id, "username": username, "display_name": display_name,
        "password_hash": password_hash, "is_admin": int(is_admin), "created_at": now_iso(),
    }).last_pk
    emit(db, "member.joined", couple_id, {"member": {"id": member_id, "display_name": display_name}},
         visibility="couple", actor_id=member_id)
    consent.announce_lapsed(db, couple_id, were_active)  # the newcomer has not agreed to anything yet
    return get_member(db, member_id)


def set_password_hash(db, member_id: int, password_hash: str) -> None:
    """Store a hash made beforehand: hashing is slow and must not hold the write lock."""
    db["members"].update(member_id, {"password_hash": password_hash})


def set_password(db, member_id: int, password: str) -> None:
    set_password_hash(db, member_id, hash_password(password))


def is_admin(db, member_id: int | None) -> bool:
    """Server admins (the first member) may invite new couples and see the couples list."""
    member = get_member(db, member_id) if member_id is not None else None
    return bool(member and member["is_admin"])


def couples_overview(db) -> list[dict]:
    """Every couple with its member count - nothing private: no names of members."""
    return list(db.query(
        "SELECT c.id, c.name, count(m.id) AS members, c.created_at FROM couples c "
        "LEFT JOIN members m ON m.couple_id = c.id GROUP BY c.id ORDER BY c.id"))


# -- invites -------------------------------------------------------------------------

# A couple is two people. Hearthside's consents say "share ... with my
# partner": a third member would read under them what was shared with one.
COUPLE_SIZE = 2


def couple_is_complete(db, couple_id: int) -> bool:
    """Whether the couple has its two members: then nobody more may join it, by any invite."""
    count = db.execute("SELECT count(*) FROM members WHERE couple_id = ?", [couple_id]).fetchone()[0]
    return count >= COUPLE_SIZE


def oversized_couples(db) -> list[dict]:
    """Couples with more than two members (made before invites were limited): id, name, count."""
    return [row for row in couples_overview(db) if row["members"] > COUPLE_SIZE]


def report_oversized_couples(db) -> None:
    """Say at start which couples have more than two members; delete nothing.

    Such a couple was made before invites were limited to the partner. Who
    belongs in it is for the people involved to settle, not for the server
    to guess, so the start only says so.
    """
    for couple in oversized_couples(db):
        log.warning("Couple %d (%r) has %d members, but a couple is two people: every member reads what the "
                    "others share \"with my partner\". Nothing was deleted or changed; no further member can "
                    "be invited into it.", couple["id"], couple["name"], couple["members"])


def create_invite(db, member: dict, hours: int, new_couple: bool = False) -> str:
    """A one-time code for the partner (or, from an admin, for a new couple).

    409 ``couple_complete`` once the member's couple has two members: nobody
    can bring a third person into what the two of them share.
    """
    if not new_couple and couple_is_complete(db, member["couple_id"]):
        raise Conflict("couple_complete",
                       "Your couple is complete: Hearthside is for two people, so there is nobody left to invite.")
    code = new_code()
    db["invites"].insert({
        "code_hash": digest(code), "couple_id": None if new_couple else member["couple_id"],
        "created_by": member["id"], "created_at": now_iso(), "expires_at": in_future(hours=hours),
    })
    return code


def usable_invite(db, code: str) -> dict | None:
    """The invite with this code if it can still be used, else None.

    Unusable: unknown, used, revoked, expired, or for a couple that is
    already complete.
    """
    row = row_or_none(db, "SELECT * FROM invites WHERE code_hash = ?", [digest(normalise_code(code))])
    if row is None or row["used_at"] is not None or row["revoked_at"] is not None or is_past(row["expires_at"]):
        return None
    if row["couple_id"] is not None and couple_is_complete(db, row["couple_id"]):
        return None
    return row


def take_invite(db, code: str) -> dict:
    """Find a usable invite inside the caller's transaction (404 otherwise)."""
    row = usable_invite(db, code)
    if row is None:
        invalid_invite()
    return row


def invalid_invite():
    """The one answer for every unusable code, so it never tells which of the reasons applies."""
    raise NotFound("invite_invalid",
                   "This invite code is not valid: it may have been used, revoked or expired. Ask for a new one.")


def mark_invite_used(db, invite_id: int, member_id: int) -> None:
    """Use the invite; if that completed its couple, every other pending invite of the couple dies."""
    db["invites"].update(invite_id, {"used_at": now_iso(), "used_by": member_id})
    couple_id = db["invites"].get(invite_id)["couple_id"]
    if couple_id is None:
        couple_id = get_member(db, member_id)["couple_id"]
    if couple_is_complete(db, couple_id):
        db.execute("UPDATE invites SET revoked_at = ? WHERE couple_id = ? AND used_at IS NULL "
                   "AND revoked_at IS NULL", [now_iso(), couple_id])


def pending_invites(db, couple_id: int) -> list[dict]:
    """The couple's invites that can still be used: no codes (only their hashes are stored)."""
    if couple_is_complete(db, couple_id):
        return []
    rows = db.query("SELECT id, created_by, created_at, expires_at FROM invites WHERE couple_id = ? "
                    "AND used_at IS NULL AND revoked_at IS NULL ORDER BY id", [couple_id])
    return [row for row in rows if not is_past(row["expires_at"])]


def find_pending_invite(db, couple_id: int, ref: str) -> dict | None:
    """The couple's pending invite named by its code, or by its id from :func:`pending_invites`.

    The code is tried first, so a code made only of digits is never taken for an id.
    """
    pending = {row["id"]: row for row in pending_invites(db, couple_id)}
    rows = list(db.query("SELECT id FROM invites WHERE code_hash = ?", [digest(normalise_code(ref))]))
    if rows and rows[0]["id"] in pending:
        return pending[rows[0]["id"]]
    return pending.get(int(ref)) if ref.isascii() and ref.isdigit() and len(ref) < 19 else None


def revoke_invite(db, couple_id: int, invite_id: int, member_id: int) -> None:
    """Revoke a pending invite inside the caller's transaction, and tell the couple."""
    db["invites"].update(invite_id, {"revoked_at": now_iso()})
    emit(db, "invite.revoked", couple_id, {"invite": {"id": invite_id}}, visibility="couple", actor_id=member_id)
