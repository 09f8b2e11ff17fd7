"""Private words written through every plugin that keeps free text, and a way to look for them on the disk.

Used by the issue-14 tests: what a member forgot must be in no file of the
data folder, and the folder's files must be private.
"""

from __future__ import annotations

import secrets
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

RITUAL_START = "2024-03-03T19:00"
RITUAL_OCCURRENCE = "2024-03-10T19:00"


def new_marker(who: str = "secret-marker") -> str:
    return f"{who}-{secrets.token_hex(8)}"


def _ok(answer, status=(200, 201)):
    assert answer.status_code in status, answer.get_json()
    return answer.get_json()


def write_everywhere(member, marker: str, ritual_id: int | None = None) -> int:
    """``marker`` in every free-text field the member owns: rituals check-in, transparency entry,
    touch reflection, matcher note. Returns the ritual's id (pass it back for the partner)."""
    if ritual_id is None:
        ritual_id = _ok(member.post("/api/v1/rituals", json={"template": "checkin", "start": RITUAL_START}))["id"]
    _ok(member.put(f"/api/v1/rituals/{ritual_id}/occurrences/{RITUAL_OCCURRENCE}/checkin",
                   json={"answers": {"hard": marker}}))
    write_entry(member, marker)
    _ok(member.post("/api/v1/touch/session", json={}))
    _ok(member.delete("/api/v1/touch/session"))
    session = _ok(member.get("/api/v1/touch/sessions"))["past"][0]["id"]
    _ok(member.put("/api/v1/touch/reflections", json={"session_id": session, "safe": 3, "comfortable": 3,
                                                       "note": marker}))
    items = _ok(member.get("/api/v1/matcher/items"))["items"]
    _ok(member.put("/api/v1/matcher/answers", json={"answers": {items[0]["id"]: "yes"},
                                                     "notes": {items[0]["id"]: marker}}))
    return ritual_id


def write_entry(member, text: str) -> None:
    """A transparency entry (writing one needs the author's own share consent)."""
    member.grant("transparency.share")
    _ok(member.post("/api/v1/transparency/entries", json={"kind": "plan", "text": text}))


def add_private_event(data_dir: Path, member_id: int, marker: str) -> None:
    """A private event for the member only, written the way the core writes one."""
    from hearthside.events import emit
    from hearthside.storage import Storage
    from tests.support.event_types import declared

    storage = Storage(data_dir, event_types=declared())
    try:
        with storage.connection() as db, db.atomic():
            emit(db, "test.private_note", 1, {"text": marker}, visibility="private", audience_id=member_id)
    finally:
        storage.close()


def files_holding(folder: Path, text: str) -> list[str]:
    """Every file under ``folder`` (database, -wal, -shm, backups, keys, ledger) whose bytes hold ``text``.

    A zip (a backup bundle) is searched in its members too: compression would
    hide the words from a plain byte search.
    """
    needle = text.encode()
    return sorted(str(path.relative_to(folder)) for path in Path(folder).rglob("*")
                  if path.is_file() and needle in _contents(path))


def _contents(path: Path) -> bytes:
    import io
    import zipfile

    data = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return data + b"".join(archive.read(name) for name in archive.namelist())


def loose_modes(folder: Path) -> list[str]:
    """Every folder not 0700 and every file not 0600 under (and including) ``folder``."""
    folder = Path(folder)
    wrong = []
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            wrong.append(f"{path.relative_to(folder).as_posix() or '.'} is {mode:04o}")
    return wrong


def soon() -> str:
    return (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
