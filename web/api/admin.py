"""Server administration: several couples on one server (friends sharing a Pi), and backups.

The admin (the member who set the server up) can invite a new couple and see
which couples exist - a name and a member count, never who the members are or
anything they wrote: hosting a couple is not a licence to look at it.

Backups: the admin sees the schedule and how the last runs went. Downloading a
bundle in the app is different: the file holds the *other* partner's private
words too (and every other couple's, on a shared server). So it needs all of:
the caller is the admin, the server hosts exactly one couple (a shared server
is backed up on the Pi itself, with ``hearthside backup``), and both partners
keep the consent ``core.backup_download`` on - revoking it stops the next
download at once. Each download is told to the couple (``backup.downloaded``).
"""

from __future__ import annotations

import functools
import secrets

from flask import Response, jsonify

from hearthside import accounts, backup_schedule
from hearthside.request_context import current_hs, get_db
from hearthside.auth import require
from hearthside.backups import bundle_name, write_bundle
from hearthside.consent import BACKUP_DOWNLOAD_SCOPE, is_active
from hearthside.errors import api_error
from hearthside.events import emit
from hearthside.declare import (BOOLEAN, INTEGER, NULLABLE_TIMESTAMP, STRING, TIMESTAMP, Body, answer, declare,
                                error, obj, ref)

from . import api


def _require_admin(db, principal) -> dict:
    if not accounts.is_admin(db, principal.member_id):
        api_error(403, "admins_only", "Only the server's admin can do this.")
    return accounts.get_member(db, principal.member_id)


ADMINS_ONLY = error("Not the server's admin")
TAGS = ["admin"]


@api.post("/admin/invites")
@require()
@declare("An invite that starts a new couple on this server (admins)", tags=TAGS,
         responses={"201": answer("The code", ref("Invite")), "403": ADMINS_ONLY})
def create_couple_invite(principal):
    """A one-time code whose acceptance starts a new couple on this server."""
    db = get_db()
    hours = current_hs().config["auth.invite_hours"]
    with db.atomic():
        admin = _require_admin(db, principal)
        code = accounts.create_invite(db, admin, hours, new_couple=True)
    return jsonify({"code": code, "expires_in_hours": hours}), 201


@api.get("/admin/couples")
@require()
@declare("The couples on this server: names and sizes only (admins)", tags=TAGS, responses={
    "200": answer("Couples", obj({"couples": {"type": "array", "items": obj(
        {"id": INTEGER, "name": STRING, "members": INTEGER, "created_at": TIMESTAMP}, ["id", "name", "members"])}},
        ["couples"])), "403": ADMINS_ONLY})
def list_couples(principal):
    """Every couple on the server: id, name, how many members, since when."""
    db = get_db()
    _require_admin(db, principal)
    return jsonify({"couples": accounts.couples_overview(db)})


SHARED_SERVER_MESSAGE = ("This server hosts more than one couple, so a full backup holds other couples' private "
                         "data too; it cannot be downloaded in the app. Run `hearthside backup` on the server itself.")
MIN_PASSPHRASE = 8


class BackupDownload(Body):
    passphrase: str | None = None  # empty or left out: an unsealed bundle; _passphrase says what it must be


@api.get("/admin/backups")
@require()
@declare("Scheduled backups: the schedule, the last and recent runs, the next one (admins)", tags=TAGS, responses={
    "200": answer("Backups", obj({
        "schedule": {"type": "string", "enum": ["off", "daily", "weekly"]}, "time": STRING, "keep": INTEGER,
        "copy_to": {"type": ["string", "null"]}, "last": {"oneOf": [ref("BackupRun"), {"type": "null"}]},
        "next_at": NULLABLE_TIMESTAMP, "recent": {"type": "array", "items": ref("BackupRun")},
        "download": obj({"allowed": BOOLEAN, "code": {"type": ["string", "null"]},
                         "message": {"type": ["string", "null"]}}, ["allowed"])},
        ["schedule", "time", "keep", "last", "next_at", "recent"])),
    "403": ADMINS_ONLY})
def backups_overview(principal):
    """The schedule, the last and recent scheduled runs, the next one, and whether a download is possible."""
    db = get_db()
    _require_admin(db, principal)
    refusal = download_refusal(db, principal.couple_id)
    return jsonify({**backup_schedule.status(current_hs(), db),
                    "download": {"allowed": refusal is None, "code": refusal and refusal[0],
                                 "message": refusal and refusal[1]}})


def download_refusal(db, couple_id: int) -> tuple[str, str] | None:
    """Why this couple's admin cannot download a backup now (code, message), or None."""
    if db.execute("SELECT count(*) FROM couples").fetchone()[0] != 1:
        return "backup_download_shared_server", SHARED_SERVER_MESSAGE
    if not is_active(db, couple_id, BACKUP_DOWNLOAD_SCOPE):
        return "consent_required", ("Downloading a backup needs both of you to turn on \"Let the server's admin "
                                    "download a full backup in the app\" on the consent page.")
    return None


def _admin_who_may_download(view):
    """Only the admin of a one-couple server whose partners both consent: refused before the body is read."""

    @functools.wraps(view)
    def wrapper(principal, *args, **kwargs):
        db = get_db()
        _require_admin(db, principal)
        refusal = download_refusal(db, principal.couple_id)
        if refusal is not None:
            api_error(403, *refusal)
        return view(principal, *args, **kwargs)

    return wrapper


@api.post("/admin/backups")
@require()
@_admin_who_may_download
@declare("Download the whole home as one bundle (admins of a one-couple server, with both partners' consent "
         "core.backup_download)", body=BackupDownload, body_optional=True, tags=TAGS, responses={
    "200": answer("The bundle file (.hsb), as an attachment", {"type": "string", "format": "binary"},
                  media="application/octet-stream"),
    "400": error("A passphrase shorter than 8 characters"),
    "403": error("Not the admin, a server shared by several couples (backup_download_shared_server), or the "
                 "consent is off (consent_required)")})
def download_backup(principal, body: BackupDownload):
    """The whole home as one bundle file, optionally sealed with a passphrase."""
    db = get_db()
    passphrase = _passphrase(body.passphrase)
    hs = current_hs()
    name = bundle_name("download")
    path = write_bundle(hs, hs.storage.backups_dir / f".{name}.{secrets.token_hex(4)}", passphrase)  # two at once
    try:
        data = path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
    with db.atomic():
        emit(db, "backup.downloaded", principal.couple_id, {"encrypted": passphrase is not None},
             visibility="couple", actor_id=principal.member_id)
    return Response(data, mimetype="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _passphrase(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) < MIN_PASSPHRASE or len(value) > 1024:
        api_error(400, "invalid_field", f"passphrase: at least {MIN_PASSPHRASE} characters (or leave it out).")
    return value
