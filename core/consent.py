"""Consent: the scopes, each member's grants, and the one check features use.

A *scope* is a named permission for something that reveals data across the
couple (``matcher.reveal``, ``dashboard.rituals``). The core and plugins
declare scopes through the ``hearthside_consent_scopes`` hook. Each member
grants or revokes a scope for themselves; every change is a new row in
``consent_grants`` (append-only: SQLite triggers refuse UPDATE and DELETE, and
each row carries a SHA-256 hash chained to the couple's previous row, so an
edit made behind the server's back shows up in :func:`verify_history`).

A scope is *active* for a couple only while every current member's latest
grant says yes. It is computed from the rows each time it is asked -
never cached - so a revocation takes effect on the very next read.
Features check it with :func:`require_active`, the one consent check.

A grant is consent to what the scope showed when it was given. Each scope
has *terms* - its description, unless it pins ``terms`` explicitly - and the
server remembers a hash of them. When a new version or a changed setting
changes a scope's terms, every member who granted it is asked again at the
next start: their grant is turned off by the server (a history row with
``reason="terms_changed"``) and the consent page says why
(:func:`ask_again_where_terms_changed`). An upgrade never widens what an
existing consent shows.

A scope declared with ``who="author"`` is not mutual: each member grants it
for what they themselves write ("share my transparency entries with my
partner"). The partner's grant is never needed and never shares the other's
data; features check the author's own grant with :func:`require_granted`
(or :func:`is_granted`), again read fresh on every call.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from . import ledger
from .errors import ConsentRequired, NotFound
from .events import emit, now_iso
from .request_context import current_hs

log = logging.getLogger(__name__)

WHO_CHOICES = ("all", "author")
DASHBOARD_PREFIX = "dashboard."
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Scope:
    """A consent scope: its name, a plain-language description, who must grant.

    ``who="all"`` (the default) means every member of the couple must grant
    it before it is active. ``who="author"`` means each member grants it only
    for the data they author: one member's grant lets *their own* data cross,
    whatever the other member chose (check it with :func:`require_granted`).
    """

    name: str
    description: str
    who: str = "all"
    terms: str | None = None  # what members agree to; None: the description. Pin it to reword without asking again.

    @property
    def terms_hash(self) -> str:
        return hashlib.sha256((self.description if self.terms is None else self.terms).encode()).hexdigest()


# The core's own scopes. Plugins declare theirs (including ``dashboard.<plugin>``).
BACKUP_DOWNLOAD_SCOPE = "core.backup_download"
CORE_SCOPES: tuple[Scope, ...] = (
    Scope(BACKUP_DOWNLOAD_SCOPE,
          "Let the server's admin download a full backup in the app. Whoever has the downloaded file "
          "can read everything both of you wrote"),
)


def registry(hs) -> dict[str, Scope]:
    """Every declared scope by name: the core's, then each loaded plugin's.

    Rebuilt on each call (it is cheap), so a plugin that failed and was
    isolated stops offering its scopes at once. A malformed declaration fails
    its plugin (:meth:`~hearthside.plugin_manager.PluginManager.answers`); a
    scope declared twice is logged and the first declaration wins.
    """
    scopes: dict[str, Scope] = {scope.name: scope for scope in CORE_SCOPES}
    for plugin, declared in hs.plugins.answers("hearthside_consent_scopes", hs=hs):
        for scope in declared:
            if scope.name in scopes:
                log.warning("Plugin %r declared consent scope %r again; the first declaration wins",
                            plugin, scope.name)
            else:
                scopes[scope.name] = scope
    return scopes


def _well_formed(scope) -> bool:
    return isinstance(scope, Scope) and scope_problem(scope) is None


def scope_problem(scope: Scope) -> str | None:
    """What is wrong with a declared scope, naming the field ("whose 'who' is ..."), or None."""
    if not isinstance(scope.name, str) or not 0 < len(scope.name) <= 100:
        return "whose 'name' is not a text of 1 to 100 characters"
    if not isinstance(scope.description, str):
        return "whose 'description' is not text"
    if scope.who not in WHO_CHOICES:
        return f"whose 'who' is {scope.who!r}, not one of {', '.join(map(repr, WHO_CHOICES))}"
    if scope.terms is not None and not isinstance(scope.terms, str):
        return "whose 'terms' are not text"
    return None


def get_scope(hs, name: str) -> Scope:
    """The declared scope, or 404: a grant for a scope nobody checks would mislead."""
    scope = registry(hs).get(name)
    if scope is None:
        raise NotFound("unknown_scope", "There is no consent setting with that name.")
    return scope


# -- reading grants -------------------------------------------------------------


def member_grants(db, couple_id: int, scope: str) -> dict[int, bool]:
    """Each current member's latest grant for ``scope`` (never granted = False)."""
    rows = db.execute(
        """SELECT m.id, (SELECT g.granted FROM consent_grants g
                         WHERE g.couple_id = m.couple_id AND g.member_id = m.id AND g.scope = ?
                         ORDER BY g.id DESC LIMIT 1)
           FROM members m WHERE m.couple_id = ? ORDER BY m.id""", [scope, couple_id]).fetchall()
    return {member_id: bool(granted) for member_id, granted in rows}


def is_active(db, couple_id: int, scope: str) -> bool:
    """True only while every current member of the couple grants ``scope``.

    Read from the grant rows every time: features must never cache it.
    A couple with one member needs that member's grant; no members, no consent.
    """
    grants = member_grants(db, couple_id, scope)
    return bool(grants) and all(grants.values())


def is_granted(db, couple_id: int, scope: str, member_id: int) -> bool:
    """This member's own latest grant of ``scope`` (never granted = False).

    The check for ``who="author"`` scopes: the author's data crosses only
    while the author grants it. Read from the rows every time, never cached.
    """
    return bool(member_grants(db, couple_id, scope).get(member_id, False))


def require_granted(db, couple_id: int, scope: str, member_id: int, hs=None) -> None:
    """403 ``consent_required`` unless ``member_id`` grants the ``who="author"`` scope.

    Call it with the member who is about to share their own data; the message
    speaks to that member about their own setting only.
    """
    if is_granted(db, couple_id, scope, member_id):
        return
    raise ConsentRequired(
        f"This shares what you write, so it needs your consent \"{_description(hs, scope)}\" ({scope}). "
        "It is off right now; you can turn it on on the consent page.")


def require_active(db, couple_id: int, scope: str, hs=None) -> None:
    """The one consent check: 403 ``consent_required`` unless ``scope`` is active.

    The message names the setting in plain words and never says who has not
    agreed (no pressure on either partner).
    """
    if is_active(db, couple_id, scope):
        return
    description = _description(hs, scope)
    raise ConsentRequired(
        f"This is shown only while everyone in your couple has turned on the consent "
        f"\"{description}\" ({scope}). It is off right now; each of you can change it on the consent page.")


def _description(hs, scope: str) -> str:
    hs = hs or _current_hs()
    if hs is None:  # outside a request: the name has to do
        return scope
    declared = registry(hs).get(scope)
    return declared.description.rstrip(".") if declared else scope


def describe(db, couple_id: int, scope: Scope) -> dict:
    """The JSON shape of one scope in ``GET /api/v1/consents``.

    For a ``who="author"`` scope, ``active`` means at least one member shares
    under it; ``members`` says whose data crosses.
    """
    grants = member_grants(db, couple_id, scope.name)
    return {
        "scope": scope.name,
        "description": scope.description,
        "who": scope.who,
        "members": {str(member_id): granted for member_id, granted in grants.items()},
        "active": _active(grants, scope.who),
        "asked_again": _asked_again(db, couple_id, scope.name),
    }


def _asked_again(db, couple_id: int, scope: str) -> bool:
    """Whether a member's latest answer is the server's "terms changed, asked again" row."""
    rows = db.execute(
        """SELECT (SELECT g.reason FROM consent_grants g
                   WHERE g.couple_id = m.couple_id AND g.member_id = m.id AND g.scope = ?
                   ORDER BY g.id DESC LIMIT 1)
           FROM members m WHERE m.couple_id = ?""", [scope, couple_id]).fetchall()
    return any(reason == TERMS_CHANGED for (reason,) in rows)


def _active(grants: dict[int, bool], who: str) -> bool:
    if who == "author":
        return any(grants.values())
    return bool(grants) and all(grants.values())


# -- changing grants ------------------------------------------------------------


def set_grant(db, principal, scope: str, granted: bool, who: str = "all", record: bool = True) -> bool:
    """Record a member's grant or revocation; returns whether anything changed.

    Repeating one's current answer writes nothing (the history stays a record
    of decisions, not of clicks). A change appends a chained history row and
    emits ``consent.changed`` (couple). When an ``all`` scope stops being
    active it also emits ``consent.revoked``, so every open page drops what the
    scope allowed; when one starts being active, ``consent.activated``, so open
    pages show it at once. See :func:`_emit_switch` for who hears those two.
    ``who`` is the scope's rule: an ``author`` scope is never active for the
    couple as a whole, so its changes are told to the couple only.
    A revocation is also written to the forget ledger (:mod:`hearthside.ledger`)
    so a restored older database cannot turn it back on; ``record=False`` is
    for the ledger's own re-application.
    """
    with db.atomic():
        couple_id, member_id = principal.couple_id, principal.member_id
        before = member_grants(db, couple_id, scope)
        if before.get(member_id, False) == granted:
            return False
        _append(db, couple_id, member_id, scope, granted)
        was_active = _active(before, who)
        active = _active(member_grants(db, couple_id, scope), who)
        emit(db, "consent.changed", couple_id, {"scope": scope, "active": active},
             visibility="couple", actor_id=member_id)
        if who == "all" and was_active != active:
            _emit_switch(db, couple_id, scope, active)
        if not granted and record:
            _remember_revocation(db, member_id, scope)
    return True


def _remember_revocation(db, member_id: int, scope: str) -> None:
    """Write the revocation to the ledger, with the time of its history row, once it has committed."""
    if getattr(db, "data_dir", None) is None:  # a database outside a data folder: no ledger there
        return
    at, member_created_at = db.execute(
        "SELECT g.created_at, m.created_at FROM consent_grants g JOIN members m ON m.id = g.member_id "
        "WHERE g.member_id = ? AND g.scope = ? ORDER BY g.id DESC LIMIT 1", [member_id, scope]).fetchone()
    db.on_commit(lambda: ledger.record_revocation(db.data_dir, member_id, member_created_at, scope, at))


def is_wall_scope(scope: str) -> bool:
    """Whether ``scope`` decides what the wall screen shows (``dashboard.<plugin>``)."""
    return scope.startswith(DASHBOARD_PREFIX)


def _emit_switch(db, couple_id: int, scope: str, active: bool) -> None:
    """Tell open screens that a mutual scope went on (``consent.activated``) or off (``consent.revoked``).

    Only a ``dashboard.*`` scope is the wall's business: its switch is a
    ``dashboard`` event, so the wall drops or shows those cards within a
    second. Any other scope's switch is a ``couple`` event: the wall is a
    shared screen guests can read, and "matcher.reveal is off now" there
    would tell them the couple had compared their yes/no/maybe lists.
    The switch names no actor: it is a state of the couple, and who turned
    a scope off is not the wall's to show (``consent.changed`` tells the
    phones, where the consent page shows each member's answer anyway).
    """
    visibility = "dashboard" if is_wall_scope(scope) else "couple"
    emit(db, "consent.activated" if active else "consent.revoked", couple_id, {"scope": scope},
         visibility=visibility)


def active_mutual_scopes(db, couple_id: int, hs=None) -> list[str]:
    """The couple's declared ``who="all"`` scopes that are active right now."""
    hs = hs or _current_hs()
    if hs is None:
        return []
    return [name for name, scope in registry(hs).items() if scope.who == "all" and is_active(db, couple_id, name)]


def announce_lapsed(db, couple_id: int, were_active: list[str]) -> None:
    """After the couple changed (a member joined), switch off what is no longer active.

    A newcomer has granted nothing, so every mutual scope lapses until they
    grant it too; ``consent.revoked`` makes open screens - the wall for
    ``dashboard.*`` - drop it at once instead of at their next refresh.
    Call inside the transaction that changed the couple.
    """
    for scope in were_active:
        if not is_active(db, couple_id, scope):
            _emit_switch(db, couple_id, scope, False)


TERMS_CHANGED = "terms_changed"


def ask_again_where_terms_changed(hs, db) -> list[str]:
    """At start: turn off every grant of a scope whose terms changed since it was given.

    The first time a scope is seen its terms are only recorded. Returns one
    line per scope that asked again, for the log. Runs in one transaction.
    """
    said = []
    with db.atomic():
        known = {row["scope"]: row["terms_hash"] for row in db.query("SELECT * FROM consent_terms")}
        for scope in registry(hs).values():
            if known.get(scope.name) == scope.terms_hash:
                continue
            if scope.name in known:
                reset = _turn_off_every_grant(db, scope)
                said.append(f"Consent {scope.name} now shows something else: {reset} member(s) asked again")
            db["consent_terms"].upsert({"scope": scope.name, "terms_hash": scope.terms_hash,
                                        "recorded_at": now_iso()}, pk="scope")
    return said


def _turn_off_every_grant(db, scope: Scope) -> int:
    reset = 0
    for (couple_id,) in db.execute("SELECT DISTINCT couple_id FROM consent_grants WHERE scope = ?",
                                   [scope.name]).fetchall():
        before = member_grants(db, couple_id, scope.name)
        for member_id in [member for member, granted in before.items() if granted]:
            _append(db, couple_id, member_id, scope.name, False, reason=TERMS_CHANGED)
            emit(db, "consent.changed", couple_id, {"scope": scope.name, "active": False, "asked_again": True},
                 visibility="couple")
            reset += 1
        if scope.who == "all" and _active(before, scope.who):
            _emit_switch(db, couple_id, scope.name, False)
    return reset


def _current_hs():
    try:
        return current_hs()
    except RuntimeError:  # outside a request (a script): no registry to ask
        return None


def _append(db, couple_id: int, member_id: int, scope: str, granted: bool, reason: str | None = None) -> None:
    """Append one history row whose hash covers its fields and the previous hash."""
    previous = db.execute("SELECT hash FROM consent_grants WHERE couple_id = ? ORDER BY id DESC LIMIT 1",
                          [couple_id]).fetchone()
    row = {"couple_id": couple_id, "member_id": member_id, "scope": scope, "granted": int(granted),
           "created_at": now_iso(), "prev_hash": previous[0] if previous else GENESIS_HASH, "reason": reason}
    row["hash"] = _row_hash(row)
    db["consent_grants"].insert(row)


def _row_hash(row: dict) -> str:
    fields = {key: row[key] for key in ("couple_id", "member_id", "scope", "granted", "created_at", "prev_hash")}
    if row.get("reason"):  # rows from before the column existed keep their hashes
        fields["reason"] = row["reason"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# -- history --------------------------------------------------------------------


def history(db, couple_id: int) -> list[dict]:
    """The couple's grant history, oldest first (the order of the hash chain)."""
    rows = db.query("SELECT * FROM consent_grants WHERE couple_id = ? ORDER BY id", [couple_id])
    return [{"id": row["id"], "scope": row["scope"], "member_id": row["member_id"],
             "granted": bool(row["granted"]), "created_at": row["created_at"], "hash": row["hash"],
             "reason": row.get("reason")}
            for row in rows]


def verify_history(db, couple_id: int) -> bool:
    """True when every row still matches its hash and follows the previous one."""
    expected_prev = GENESIS_HASH
    for row in db.query("SELECT * FROM consent_grants WHERE couple_id = ? ORDER BY id", [couple_id]):
        if row["prev_hash"] != expected_prev or _row_hash(row) != row["hash"]:
            return False
        expected_prev = row["hash"]
    return True
