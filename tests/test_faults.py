"""Faults (issue 8 part 6): the server survives what a Raspberry Pi at home lives through.

(a) ``kill -9`` during a storm of writes: every write answered 2xx is there after
    the restart, and the transparency chain verifies.
(b) A data folder on a tiny filesystem that fills up: writes answer 507
    ``storage_full``, reads keep working, nothing committed is damaged, backups fail
    without leaving a file that looks like one, and writes work again once space returns.
(c) A plugin that raises in every hook: the server starts and serves everything else.
(d) The wall clock jumps forward and back: reminders neither flood nor vanish nor repeat.

The quick variants run in the default suite. The long ones are marked
``faults_long`` and run only when asked for: ``pytest -m faults_long tests/test_faults.py``.
See docs/faults.md for what each proves, how, and why.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from apscheduler.triggers.interval import IntervalTrigger
from sqlite_utils.migrations import Migrations

from hearthside.errors import STORAGE_FULL_CODE, STORAGE_FULL_STATUS
from hearthside.plugins.rituals.reminders import JOB_ID as REMINDERS
from hearthside.scheduler import ScheduledJob, Scheduler
from hearthside.storage import DATABASE_NAME, BackupFailed, Storage
from hearthside.testing import FakeClock, SchedulerDriver, free_port
from tests.conftest import PASSWORD, REPO_ROOT, ServerProcess, onboard_couple
from tests.support.routes import RoutesPlugin

LONG = pytest.mark.faults_long
# CI runs as root and must prove (b) on a real filesystem: there a missing mount is a failure.
REQUIRED = os.environ.get("REQUIRE_FAULT_TESTS") == "1"
SHARE = "transparency.share"


@pytest.fixture
def long_run(request) -> None:
    """Long fault tests run only when ``-m faults_long`` selects them (they are excluded by default)."""
    selected = request.config.option.markexpr or ""
    if "faults_long" not in selected or "not faults_long" in selected:
        pytest.skip("long fault test: run with `pytest -m faults_long tests/test_faults.py` (docs/faults.md)")


# -- a plain HTTP member of a real server -------------------------------------------------------------


class Remote:
    """A member talking to a real server over HTTP with their bearer token."""

    def __init__(self, server: ServerProcess, token: str):
        self.server, self.token = server, token
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["Connection"] = "close"  # an idle kept-alive one holds a stopping server 2 s

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.server.url + path, timeout=10, **kwargs)

    def json(self, method: str, path: str, **kwargs) -> dict:
        answer = self.call(method, path, **kwargs)
        assert answer.status_code < 300, (answer.status_code, answer.text)
        return answer.json()

    def moved_to(self, server: ServerProcess) -> "Remote":
        return Remote(server, self.token)


def onboard_remote(server: ServerProcess) -> tuple[Remote, Remote]:
    """Ann and Bob on a real server, both sharing in the transparency log."""
    first = requests.post(server.url + "/api/v1/onboarding", timeout=10, json={
        "couple": {"name": "Ann & Bob"},
        "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}}).json()
    ann = Remote(server, first["token"])
    code = ann.json("POST", "/api/v1/invites")["code"]
    second = requests.post(f"{server.url}/api/v1/invites/{code}/accept", timeout=10, json={
        "username": "bob", "password": PASSWORD, "display_name": "Bob"}).json()
    bob = Remote(server, second["token"])
    for member in (ann, bob):
        member.json("PUT", f"/api/v1/consents/{SHARE}", json={"granted": True})
    return ann, bob


def all_entries(member: Remote) -> dict[int, dict]:
    """Every record of the couple's transparency log, by id (paging back with before_seq)."""
    found, before = {}, None
    while True:
        query = "?limit=100" + (f"&before_seq={before}" if before else "")
        page = member.json("GET", "/api/v1/transparency/entries" + query)["entries"]
        found.update({entry["id"]: entry for entry in page})
        if len(page) < 100:
            return found
        before = min(entry["seq"] for entry in page)


def stored_pause_ids(data_dir: Path) -> set[int]:
    """Every pause in the file (the API's history shows only the newest 200)."""
    conn = sqlite3.connect(f"file:{data_dir / DATABASE_NAME}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM pauses")}
    finally:
        conn.close()


def integrity(data_dir: Path) -> str:
    conn = sqlite3.connect(f"file:{data_dir / DATABASE_NAME}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# -- (a) kill -9 during a storm of writes ----------------------------------------------------------------


class Storm:
    """Writer threads hammering a real server; each keeps what the server acknowledged (2xx)."""

    def __init__(self, ann: Remote, bob: Remote, writers_each: int = 3):
        self.stop = threading.Event()
        self.entries: dict[int, str] = {}  # acknowledged entry id -> its text
        self.pauses: set[int] = set()      # acknowledged pause ids
        self.answered = 0
        self.lock = threading.Lock()
        members = [ann] * writers_each + [bob] * writers_each
        self.threads = [threading.Thread(target=self._write_entries, args=(Remote(m.server, m.token), n), daemon=True)
                        for n, m in enumerate(members)]
        self.threads.append(threading.Thread(target=self._toggle_pause, args=(Remote(ann.server, ann.token),),
                                             daemon=True))

    def __enter__(self) -> "Storm":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)

    def _write_entries(self, member: Remote, writer: int) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            text = f"writer {writer} entry {number} {uuid.uuid4().hex}"
            try:
                answer = member.call("POST", "/api/v1/transparency/entries", json={"kind": "note", "text": text})
            except requests.RequestException:
                return  # the server is gone
            if 200 <= answer.status_code < 300:
                with self.lock:
                    self.entries[answer.json()["id"]] = text
                    self.answered += 1

    def _toggle_pause(self, member: Remote) -> None:
        while not self.stop.is_set():
            try:
                started = member.call("POST", "/api/v1/pause", json={"minutes": 5})
                if started.status_code == 200:
                    with self.lock:
                        self.pauses.add(started.json()["id"])
                        self.answered += 1
                member.call("DELETE", "/api/v1/pause")
            except requests.RequestException:
                return

    def wait_for(self, answered: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.answered < answered and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.answered >= answered, f"only {self.answered} writes answered in {timeout}s"


def kill_during_storm(data_dir: Path, rounds: int, writes_before_kill: int) -> dict:
    """Kill -9 the server mid-storm ``rounds`` times; check every acknowledged write after each restart."""
    server = ServerProcess(data_dir)
    ann, bob = onboard_remote(server)
    acknowledged_entries: dict[int, str] = {}
    acknowledged_pauses: set[int] = set()
    try:
        for _ in range(rounds):
            with Storm(ann, bob) as storm:
                storm.wait_for(writes_before_kill)
                os.kill(server.process.pid, signal.SIGKILL)  # mid-write: the storm is still running
                server.process.wait(timeout=10)
            server.stop()
            acknowledged_entries.update(storm.entries)
            acknowledged_pauses |= storm.pauses
            assert integrity(data_dir) == "ok"

            server = ServerProcess(data_dir)  # the same data folder, a new process
            ann, bob = ann.moved_to(server), bob.moved_to(server)
            stored = all_entries(ann)
            lost = {entry_id: text for entry_id, text in acknowledged_entries.items()
                    if stored.get(entry_id, {}).get("text") != text}
            assert not lost, f"{len(lost)} acknowledged entries lost or changed after kill -9"
            assert acknowledged_pauses <= stored_pause_ids(data_dir), "an acknowledged pause was lost after kill -9"
            chain = ann.json("GET", "/api/v1/transparency/verify")
            assert chain["intact"] is True and chain["first_broken"] is None, chain
            assert chain["length"] == len(stored)
        return {"entries": len(acknowledged_entries), "pauses": len(acknowledged_pauses)}
    finally:
        server.stop()


@pytest.mark.slow
def test_kill_9_during_a_storm_of_writes_loses_no_acknowledged_write(data_dir):
    counts = kill_during_storm(data_dir, rounds=1, writes_before_kill=60)
    assert counts["entries"] >= 40 and counts["pauses"] >= 1


@LONG
def test_kill_9_again_and_again_loses_no_acknowledged_write(data_dir, long_run):
    counts = kill_during_storm(data_dir, rounds=8, writes_before_kill=400)
    assert counts["entries"] >= 8 * 300


# -- (b) a tiny filesystem that fills up -------------------------------------------------------------------


@contextlib.contextmanager
def tiny_filesystem(path: Path, size_mb: int):
    """A real, separate small filesystem (tmpfs) mounted at ``path``; needs root.

    Filling it fills only itself: never the disk holding /work or /tmp.
    """
    path.mkdir(parents=True, exist_ok=True)
    reason = None
    if os.geteuid() != 0:
        reason = "mounting a small tmpfs needs root"
    else:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "hearthside-faults",
                                  str(path)], capture_output=True, text=True)
        if mounted.returncode != 0:
            reason = f"mount -t tmpfs is not permitted here: {mounted.stderr.strip()}"
    if reason:
        if REQUIRED:
            pytest.fail(f"REQUIRE_FAULT_TESTS=1 but {reason}")
        pytest.skip(reason)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def expect_storage_full(answer: requests.Response, *secrets: str) -> None:
    assert answer.status_code == STORAGE_FULL_STATUS, (answer.status_code, answer.text)
    error = answer.json()["error"]
    assert error["code"] == STORAGE_FULL_CODE
    assert "storage is full" in error["message"] and "/" not in error["message"]  # no paths, no internals
    for secret in secrets:
        assert secret not in answer.text


@pytest.mark.slow
def test_a_full_disk_answers_507_keeps_serving_reads_and_recovers(data_dir):
    with tiny_filesystem(data_dir, size_mb=24):
        server = ServerProcess(data_dir)  # its log is written outside the small filesystem
        try:
            ann, bob = onboard_remote(server)
            for n in range(5):
                ann.json("POST", "/api/v1/transparency/entries", json={"kind": "plan", "text": f"before {n}"})
            paused = ann.json("POST", "/api/v1/pause", json={"minutes": 5})
            before = all_entries(bob)
            # A token not used for a while is touched by the next request: that write must not cost the read.
            with contextlib.closing(sqlite3.connect(data_dir / DATABASE_NAME)) as conn, conn:
                conn.execute("UPDATE tokens SET last_used_at = '2020-01-01T00:00:00+00:00'")

            fillers = fill(data_dir)
            secret = f"secret answer {uuid.uuid4().hex}"
            expect_storage_full(bob.call("POST", "/api/v1/transparency/entries",
                                         json={"kind": "disclosure", "text": secret}), secret)
            expect_storage_full(bob.call("POST", "/api/v1/pause", json={"minutes": 10}))
            expect_storage_full(ann.call("POST", "/api/v1/transparency/entries",
                                         json={"kind": "note", "text": "x" * 3000}))
            assert secret not in server.output()
            reads_still_served(server, ann, before, paused["id"])
            backups_fail_cleanly(data_dir)

            for filler in fillers:
                filler.unlink()  # space returns
            writes_work_again(data_dir, ann, bob, before)
            assert "Storage full" in server.output()
        finally:
            server.stop()


def fill(folder: Path) -> list[Path]:
    """Write files until the filesystem refuses (ENOSPC): not a byte is left for a write."""
    fillers = []
    for name, chunk in (("filler.bin", 65536), ("filler-tail.bin", 512)):
        fillers.append(folder / name)
        with contextlib.suppress(OSError), open(folder / name, "wb") as out:  # closing can fail too
            while True:
                out.write(b"\0" * chunk)
                out.flush()
    assert os.statvfs(folder).f_bavail == 0
    return fillers


def reads_still_served(server: ServerProcess, ann: Remote, before: dict, pause_id: int) -> None:
    """The server is up and every read answers with exactly what was committed."""
    assert server.process.poll() is None
    assert requests.get(server.url + "/api/v1/health", timeout=5).json()["status"] == "ok"
    assert all_entries(ann) == before
    assert ann.json("GET", "/api/v1/transparency/verify")["intact"] is True
    assert ann.json("GET", "/api/v1/pause")["id"] == pause_id
    assert ann.call("GET", "/api/v1/dashboard").status_code == 200
    assert ann.json("GET", "/api/v1/me")["member"]["username"] == "ann"
    assert integrity(server_data_dir(server)) == "ok"


def server_data_dir(server: ServerProcess) -> Path:
    return Path(server.process.args[server.process.args.index("--data-dir") + 1])


def backups_fail_cleanly(data_dir: Path) -> None:
    """A manual backup and the one before migrations fail, leaving nothing that looks like a backup."""
    storage = Storage(data_dir)
    try:
        with pytest.raises(sqlite3.OperationalError, match="full"):
            storage.backup(data_dir / "backups" / "manual.db")
        with pytest.raises(BackupFailed, match="not enough free space"):
            storage.apply_migrations([pending_migration()])
        with storage.connection() as db:
            assert "faults_marker" not in db.table_names()  # no migration ran without its backup
    finally:
        storage.close()
    assert sorted(path.name for path in (data_dir / "backups").glob("*")) == []


def writes_work_again(data_dir: Path, ann: Remote, bob: Remote, before: dict) -> None:
    after = bob.json("POST", "/api/v1/transparency/entries", json={"kind": "note", "text": "space is back"})
    assert bob.json("POST", "/api/v1/pause", json={"minutes": 10})["active"] is True
    stored = all_entries(ann)
    assert {key: entry["text"] for key, entry in before.items()} == {key: stored[key]["text"] for key in before}
    assert stored[after["id"]]["text"] == "space is back"
    assert ann.json("GET", "/api/v1/transparency/verify")["intact"] is True
    assert integrity(data_dir) == "ok"


def pending_migration() -> Migrations:
    migrations = Migrations("faults")

    @migrations(name="0001_marker")
    def marker(db):
        db["faults_marker"].create({"id": int}, pk="id")

    return migrations


class PageLimit:
    """SQLite's own "database or disk is full" without a small disk: ``PRAGMA max_page_count``.

    Works anywhere (no root); the same SQLITE_FULL error a full disk gives.
    """

    def __init__(self, monkeypatch, storage: Storage):
        self.limit: int | None = None
        connect = storage.connect

        def limited_connect():
            db = connect()
            if self.limit is not None:
                db.execute(f"PRAGMA max_page_count = {self.limit}")
            return db

        monkeypatch.setattr(storage, "connect", limited_connect)
        # Requests too get a connection opened now, not one pooled before the limit (and none is kept).
        monkeypatch.setattr(storage, "borrow", limited_connect)
        monkeypatch.setattr(storage, "give_back", lambda db: db.close())
        self.storage = storage

    def freeze(self) -> None:
        """From now on the database cannot grow by a single page (nor reuse a free one: VACUUM first)."""
        with self.storage.connection() as db:
            db.execute("VACUUM")
            self.limit = db.execute("PRAGMA page_count").fetchone()[0]

    def lift(self) -> None:
        self.limit = None


def test_starting_on_a_full_disk_says_so_plainly_and_exits(data_dir, tmp_path):
    with tiny_filesystem(data_dir, size_mb=4):
        fill(data_dir)
        started = subprocess.run([sys.executable, "-m", "hearthside", "serve", "--host", "127.0.0.1",
                                  "--port", str(free_port()), "--data-dir", str(data_dir)],
                                 capture_output=True, text=True, timeout=60, cwd=tmp_path,
                                 env={**os.environ, "HEARTHSIDE_LOG_LEVEL": "warning"})
    assert started.returncode == 1
    assert "Cannot start: the disk holding the data folder" in started.stderr
    assert "free some space" in started.stderr
    assert "Traceback" not in started.stderr


def test_a_full_database_answers_507_and_writes_nothing_half(make_app, monkeypatch):
    app = make_app()
    hs = app.extensions["hearthside"]
    ann, bob = onboard_couple(app.test_client())
    ann.grant(SHARE)
    kept = ann.post("/api/v1/transparency/entries", json={"kind": "plan", "text": "kept"}).json
    limit = PageLimit(monkeypatch, hs.storage)
    limit.freeze()
    secret = "x" * 3900 + " one-sided secret"
    answer = ann.post("/api/v1/transparency/entries", json={"kind": "disclosure", "text": secret})
    assert answer.status_code == 507 and answer.json["error"]["code"] == "storage_full"
    assert "secret" not in answer.get_data(as_text=True)

    # One transaction: a small row that fits and a big one that does not. Neither stays, no event goes out.
    with hs.storage.connection() as db:
        rows_before = db.execute("SELECT count(*) FROM events").fetchone()[0]
        with pytest.raises(sqlite3.OperationalError, match="full"), db.atomic():
            db.execute("INSERT INTO events (couple_id, type, visibility, payload, created_at) "
                       "SELECT couple_id, 'faults.half', 'couple', '{}', created_at FROM events LIMIT 1")
            db.execute("INSERT INTO events (couple_id, type, visibility, payload, created_at) "
                       "SELECT couple_id, 'faults.half', 'couple', ?, created_at FROM events LIMIT 1",
                       ["y" * 200_000])
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == rows_before
        assert not db.conn.in_transaction and db.pending_events == []
    assert ann.get("/api/v1/transparency/entries").json["entries"][0]["id"] == kept["id"]

    limit.lift()
    again = ann.post("/api/v1/transparency/entries", json={"kind": "note", "text": "room again"})
    assert again.status_code == 201
    assert bob.get("/api/v1/transparency/verify").json["intact"] is True


def test_enospc_from_any_file_write_is_the_same_507_without_the_path(make_app):
    nospace = RoutesPlugin("nospace", "/api/v1/nospace")

    @nospace.blueprint.post("/file")
    def write_file():
        """A plugin route that hits ENOSPC writing a file of its own (an export, an upload)."""
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/hearthside/data/uploads/ann-private.txt")

    app = make_app(extra_plugins={"nospace": nospace})
    answer = app.test_client().post("/api/v1/nospace/file")
    assert answer.status_code == 507 and answer.json["error"]["code"] == "storage_full"
    assert "ann-private" not in answer.get_data(as_text=True)


# -- (c) a plugin that raises in every hook --------------------------------------------------------------

HOOKS = {
    "hearthside_config_schema": "", "hearthside_migrations": "", "hearthside_startup": "hs",
    "hearthside_shutdown": "hs", "hearthside_blueprints": "hs", "hearthside_nav_items": "hs, member",
    "hearthside_dashboard_cards": "hs, db, couple_id", "hearthside_scheduled_jobs": "hs",
    "hearthside_event": "hs, db, event", "hearthside_consent_scopes": "hs",
    "hearthside_export": "hs, db, member_id", "hearthside_forget": "hs, db, member_id",
    "hearthside_cli_commands": "cli", "hearthside_calendar_entry": "hs, db, couple_id, entry",
}
START_ONLY = {"hearthside_config_schema", "hearthside_migrations", "hearthside_startup", "hearthside_blueprints",
              "hearthside_consent_scopes",  # read once at start too, so a broken declaration fails there
              "hearthside_shutdown", "hearthside_cli_commands"}


def raising_module_source(hooks) -> str:
    """A plugin module whose every hook raises (as source: it is also installed for a real server)."""
    lines = ["from hearthside.hookspecs import hookimpl", "calls = []", ""]
    for name in hooks:
        lines += ["@hookimpl", f"def {name}({HOOKS[name]}):", f"    calls.append({name!r})",
                  f"    raise RuntimeError('broken plugin in {name}')", ""]
    return "\n".join(lines)


def raising_plugin(name: str, hooks):
    namespace: dict = {}
    exec(compile(raising_module_source(hooks), f"<{name}>", "exec"), namespace)
    plugin = type(sys)(name)
    plugin.__dict__.update(namespace)
    return plugin


def serves_everything_else(client, failed: tuple[str, ...] = ()) -> None:
    """Health (degraded, naming the failed plugins), onboarding, the dashboard, pages and every built-in's routes."""
    health = client.get("/api/v1/health").json
    assert health["status"] == ("degraded" if failed else "ok") and health["failed_plugins"] == list(failed)
    ann, bob = onboard_couple(client)
    ann.grant(SHARE)
    assert ann.post("/api/v1/transparency/entries", json={"kind": "plan", "text": "home by 7"}).status_code == 201
    assert bob.post("/api/v1/pause", json={"minutes": 5}).status_code == 200  # events reach every plugin's hook
    assert ann.get("/api/v1/dashboard").status_code == 200
    assert ann.get("/api/v1/consents").status_code == 200
    for path in ("/api/v1/transparency/verify", "/api/v1/rituals", "/api/v1/matcher/items", "/api/v1/me",
                 "/api/v1/events"):
        assert ann.get(path).status_code == 200, path
    assert client.get("/").status_code in (200, 302)


def plugin_state(app, name: str) -> dict:
    return {row["name"]: row for row in app.extensions["hearthside"].plugins.report()}[name]


def test_a_plugin_raising_in_every_hook_is_failed_and_the_rest_serves(make_app):
    broken = raising_plugin("broken", HOOKS)
    app = make_app(extra_plugins={"broken": broken})
    serves_everything_else(app.test_client(), failed=("broken",))
    state = plugin_state(app, "broken")
    assert state["state"] == "failed" and state["error"].startswith("raised in hearthside_config_schema: RuntimeError")
    assert "broken plugin" not in state["error"]  # the exception's message: debug log only
    assert broken.calls == ["hearthside_config_schema"]  # isolated at once: never called again
    assert {row["state"] for row in app.extensions["hearthside"].plugins.report() if row["name"] != "broken"} \
        <= {"loaded"}


def test_a_plugin_raising_in_every_hook_called_while_running_is_failed_and_the_rest_serves(make_app, clock):
    late = raising_plugin("late", [name for name in HOOKS if name not in START_ONLY])
    app = make_app(extra_plugins={"late": late})
    client = app.test_client()
    serves_everything_else(client)
    driver = SchedulerDriver(app.extensions["hearthside"], clock)
    try:
        driver.advance(minutes=5)
        driver.run(REMINDERS)  # the other plugins' jobs still run
    finally:
        driver.close()
    assert plugin_state(app, "late")["state"] == "failed"
    assert len(late.calls) == 1  # the first runtime hook failed it; it was skipped from then on
    assert client.get("/api/v1/health").status_code == 200


class InstalledPluginServer(ServerProcess):
    """``hearthside serve`` with a plugin installed from ``site`` (a folder with its dist-info)."""

    def __init__(self, data_dir: Path, site: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hearthside", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(data_dir)],
            stdout=self.log, stderr=subprocess.STDOUT, env=installed_env(site))
        self.wait_ready()


def install_fake_plugin(site: Path) -> Path:
    """Install ``broken`` for subprocesses only: a module plus a dist-info with the entry point."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "hearthside_broken_plugin.py").write_text(raising_module_source(HOOKS))
    info = site / "hearthside_broken_plugin-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hearthside-broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hearthside.plugins]\nbroken = hearthside_broken_plugin\n")
    return site


def installed_env(site: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO_ROOT)])
    return env


def test_an_installed_plugin_raising_everywhere_shows_failed_and_a_real_server_serves(tmp_path, data_dir):
    site = install_fake_plugin(tmp_path / "site")
    listed = subprocess.run([sys.executable, "-m", "hearthside", "plugins"], capture_output=True, text=True,
                            env=installed_env(site), timeout=60, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if line.startswith("broken "))
    assert "failed: raised in hearthside_config_schema: RuntimeError at " in row
    assert all(" failed" not in line for line in listed.stdout.splitlines()[1:] if not line.startswith("broken "))

    server = InstalledPluginServer(data_dir, site)
    try:
        ann, bob = onboard_remote(server)
        assert ann.call("POST", "/api/v1/transparency/entries", json={"kind": "plan", "text": "x"}).status_code == 201
        assert bob.call("POST", "/api/v1/pause", json={}).status_code == 200
        for path in ("/api/v1/dashboard", "/api/v1/transparency/verify", "/api/v1/rituals", "/api/v1/matcher/items"):
            assert ann.call("GET", path).status_code == 200, path
        health = requests.get(server.url + "/api/v1/health", timeout=5).json()
        assert health["status"] == "degraded" and health["failed_plugins"] == ["broken"]
        assert "Hearthside is ready, 1 plugin failed: broken — see `hearthside plugins`." in server.output()
        assert "Plugin 'broken' raised in hearthside_config_schema: RuntimeError at " in server.output()
    finally:
        server.stop()


# -- (d) the wall clock jumps ----------------------------------------------------------------------------

# Berlin in early March is UTC+1: a daily 08:00 ritual starts at 07:00 UTC; its default
# reminders are the day before (1440 minutes) and 30 minutes before, for both partners.


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def rituals_world(make_app, monkeypatch):
    """Ann and Bob with a daily morning ritual; the scheduler on a test clock, no background thread.

    ``jump(**delta)`` moves both the test clock and the wall clock the heartbeat reads,
    as NTP correcting a Pi's clock would, and lets the heartbeat notice.
    """
    app = make_app(flags={"time_zone": "Europe/Berlin"})
    hs = app.extensions["hearthside"]
    ann, bob = onboard_couple(app.test_client())
    ritual = ann.post("/api/v1/rituals", json={"template": "morning", "start": "2024-03-04T08:00"})
    assert ritual.status_code == 201, ritual.json
    clock = FakeClock(utc(2024, 3, 4, 5, 0))
    driver = SchedulerDriver(hs, clock)
    driver.run_due()  # first seen: recorded, not run
    driver.run(REMINDERS)
    passed = {"wall": 0.0, "monotonic": 0.0}  # simulated seconds on each clock
    real_time, real_monotonic = time.time, time.monotonic
    monkeypatch.setattr(time, "time", lambda: real_time() + passed["wall"])
    monkeypatch.setattr(time, "monotonic", lambda: real_monotonic() + passed["monotonic"])
    driver.scheduler.heartbeat()

    def jump(**delta) -> float:
        """The wall clock jumps; the monotonic clock does not. Returns the jump the heartbeat saw."""
        step = timedelta(**delta)
        passed["wall"] += step.total_seconds()
        clock.set(clock() + step)
        return driver.scheduler.heartbeat()

    def tick_until(end: datetime, every=timedelta(minutes=30)) -> None:
        """Time passes normally up to ``end``: the heartbeat beats, the jobs run as their triggers say."""
        while clock() < end:
            step = min(every, end - clock())
            clock.set(clock() + step)
            passed["wall"] += step.total_seconds()
            passed["monotonic"] += step.total_seconds()
            assert abs(driver.scheduler.heartbeat()) < 5
            driver.run_due()

    yield app, ann, bob, clock, driver, jump, tick_until
    driver.close()


def private_events(member, type_: str) -> list[dict]:
    found = member.get("/api/v1/events?limit=500").json["events"]
    return [event for event in found if event["type"] == type_]


def reminder_keys(member) -> list[tuple[str, int]]:
    return [(e["payload"]["key"], e["payload"]["offset_minutes"]) for e in private_events(member, "rituals.reminder")]


def test_a_clock_jumping_days_forward_gives_one_summary_not_a_flood(rituals_world):
    app, ann, bob, clock, driver, jump, tick_until = rituals_world
    seen_before = {m: len(m.get("/api/v1/events?limit=500").json["events"]) for m in (ann, bob)}
    assert jump(days=5) > 4 * 86400  # the heartbeat saw it and ran the catch-up
    tick_until(clock() + timedelta(minutes=3), every=timedelta(minutes=1))  # steady again: nothing more
    for member in (ann, bob):
        assert reminder_keys(member) == []  # nothing replayed late
        summaries = private_events(member, "rituals.missed_summary")
        assert len(summaries) == 1 and summaries[0]["audience_id"] == member.id
        assert summaries[0]["payload"]["count"] == 6  # the 4th to the 9th, one line each
        new = member.get("/api/v1/events?limit=500").json["events"][seen_before[member]:]
        assert len(new) <= 3, [event["type"] for event in new]  # no dozens of anything
    # Back to normal: the next reminders are on time, once each (08:00 Berlin is 07:00 UTC).
    tick_until(utc(2024, 3, 9, 7, 5))
    for member in (ann, bob):
        assert reminder_keys(member) == [("2024-03-09T08:00", 30), ("2024-03-10T08:00", 1440)]
        assert len(private_events(member, "rituals.missed_summary")) == 1


def test_a_clock_jumping_back_repeats_no_reminder_and_loses_none(rituals_world):
    app, ann, bob, clock, driver, jump, tick_until = rituals_world
    tick_until(utc(2024, 3, 4, 6, 35))  # 07:35 Berlin: the 30-minute reminder for today went out
    assert reminder_keys(ann) == [("2024-03-04T08:00", 30)]
    assert jump(hours=-3) < -3 * 3600 + 60  # NTP pulls the clock back three hours
    tick_until(utc(2024, 3, 5, 6, 35))  # the same hours again, then a whole day
    for member in (ann, bob):
        assert sorted(reminder_keys(member)) == sorted([
            ("2024-03-04T08:00", 30),    # once, not twice
            ("2024-03-05T08:00", 1440),  # the next ones, on time
            ("2024-03-05T08:00", 30)])
        assert private_events(member, "rituals.missed_summary") == []


def test_a_clock_wrong_by_days_then_corrected_loses_no_upcoming_reminder(rituals_world):
    """A Pi boots with a clock days ahead, then NTP corrects it: the reminders it
    wrongly counted as missed are still sent on time."""
    app, ann, bob, clock, driver, jump, tick_until = rituals_world
    jump(days=3)  # wrong: the 4th to the 6th look missed
    assert len(private_events(ann, "rituals.missed_summary")) == 1
    jump(days=-3)  # corrected
    tick_until(utc(2024, 3, 5, 6, 35))
    keys = reminder_keys(ann)
    for key in [("2024-03-04T08:00", 30), ("2024-03-05T08:00", 1440), ("2024-03-05T08:00", 30)]:
        assert keys.count(key) == 1, keys
    assert len(private_events(ann, "rituals.missed_summary")) == 1


def test_a_clock_jumping_back_pulls_the_one_minute_jobs_back(make_app, monkeypatch):
    """With the real APScheduler running, an interval job must not wait as long as the clock went back."""
    app = make_app(flags={"time_zone": "Europe/Berlin"})
    hs = app.extensions["hearthside"]
    scheduler = hs.start_scheduler()
    try:
        # APScheduler reads the real clock, which a test cannot move back: paused, it runs nothing
        # meanwhile, and the next run times show what it would do on the clock that went back.
        scheduler._aps.pause()
        scheduler.heartbeat()
        real_time = time.time
        monkeypatch.setattr(time, "time", lambda: real_time() - 3 * 3600)
        scheduler.heartbeat()
        back = datetime.fromtimestamp(time.time(), timezone.utc)
        next_reminders = scheduler.next_runs()[REMINDERS]
        assert next_reminders <= back + timedelta(minutes=1, seconds=5)
    finally:
        hs.shutdown()


def test_a_job_that_finds_the_disk_full_warns_once_and_runs_again_when_space_returns(make_app, caplog):
    """A job on a full disk is not a crash: one warning, no traceback, and its run is not recorded,
    so the catch-up runs it once space returns."""
    disk = {"full": True}
    runs = []

    def work(hs):
        if disk["full"]:
            raise sqlite3.OperationalError("database or disk is full")
        runs.append(hs)

    hs = make_app(flags={"time_zone": "UTC"}).extensions["hearthside"]
    clock = FakeClock(utc(2024, 6, 10, 12, 0))
    scheduler = Scheduler(hs, [ScheduledJob("faults.hourly", work, IntervalTrigger(hours=1))], clock=clock)
    scheduler.catch_up()  # first seen at 12:00
    clock.advance(hours=2)
    with caplog.at_level("WARNING", logger="hearthside.scheduler"):
        assert scheduler.catch_up() == ["faults.hourly"]
    assert "storage is full" in caplog.text and "Traceback" not in caplog.text
    assert scheduler.last_run("faults.hourly") == utc(2024, 6, 10, 12, 0)  # not recorded as done
    disk["full"] = False
    assert scheduler.catch_up() == ["faults.hourly"] and len(runs) == 1
    assert scheduler.last_run("faults.hourly") == clock()
