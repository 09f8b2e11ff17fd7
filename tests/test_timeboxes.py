"""No plugin code holds the server up forever (issue 16, item 4).

A hook, a job or an import that never returns used to freeze the request
that called it, the start, the wall or ``hearthside backup``. Now each runs
in a time box (``server.hook_seconds``, 1 s here): a third-party plugin that
overruns is switched off and reported, and the caller goes on without it; a
built-in that hangs at start-up stops the start with one sentence; a hung
job holds only itself (``scheduler.job_seconds``), and a hook that overran
can no longer touch its caller's connection. The hanging code waits on an
event that the test sets at the end, so nothing is left waiting.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from hearthside.cli import cli
from hearthside.hookspecs import hookimpl
from hearthside.plugin_api import ScheduledJob
from hearthside.plugin_manager import Candidate, PluginManager
from hearthside.events import emit
from hearthside.request_context import get_db
from hearthside.testing import couple_id_of, onboard_couple, pair_device
from hearthside.timebox import TimeBox
from tests.support.event_types import PLUGIN as TEST_EVENT_TYPES
from tests.test_builtin_failures import broken_command

BOX = {"HEARTHSIDE_SERVER__HOOK_SECONDS": "1"}


class Stuck:
    """A third-party plugin whose one hook ``hook_name`` waits until ``release`` is set."""

    HEARTHSIDE_API = ">=1.0,<2"

    def __init__(self, name: str, release: threading.Event):
        self.__name__ = name
        self.release = release

    def wait(self):
        self.release.wait()


class StuckMenu(Stuck):
    @hookimpl
    def hearthside_nav_items(self, hs, member):
        self.wait()
        return [{"label": "Never shown", "endpoint": "pages.home"}]


class StuckCards(Stuck):
    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        self.wait()
        return []


class StuckKeys(Stuck):
    @hookimpl
    def hearthside_backup_files(self, hs):
        self.wait()
        return ["stuck.key"]


class StuckReaction(Stuck):
    @hookimpl
    def hearthside_event(self, hs, db, event):
        self.wait()


@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()  # the helper threads still waiting finish, and go back to idle


def test_a_page_and_the_api_answer_without_a_plugin_whose_hook_never_returns(make_app, release):
    app = make_app(env=BOX, extra_plugins={"stuck_menu": StuckMenu("stuck_menu", release),
                                           "stuck_reaction": StuckReaction("stuck_reaction", release),
                                           "stuck_wall": StuckCards("stuck_wall", release)})
    ann, _bob = onboard_couple(app.test_client())  # its events reach the stuck reaction: it overruns once
    home = ann.get("/")
    assert home.status_code == 200 and "Never shown" not in home.get_data(as_text=True)
    assert ann.post("/api/v1/pause").status_code == 200
    assert ann.get("/api/v1/pause").json["active"] is True
    wall = pair_device(ann)
    assert wall.get("/api/v1/dashboard").status_code == 200  # the wall: its cards without the stuck one
    health = app.test_client().get("/api/v1/health").json
    assert health["status"] == "degraded"
    assert health["failed_plugins"] == ["stuck_menu", "stuck_reaction", "stuck_wall"]
    report = {row["name"]: row for row in app.extensions["hearthside"].plugins.report()}
    assert report["stuck_menu"]["error"] == ("did not answer hearthside_nav_items within 1 s (server.hook_seconds); "
                                             "switched off until the next start")
    assert report["stuck_reaction"]["error"].startswith("did not answer hearthside_event within 1 s")
    assert report["stuck_wall"]["error"].startswith("did not answer hearthside_dashboard_cards within 1 s")
    assert ann.get("/").status_code == 200  # switched off: no second wait


def test_a_backup_is_written_without_a_plugin_whose_hook_never_returns(make_app, release):
    from hearthside.backups import backup_files

    app = make_app(env=BOX, extra_plugins={"stuck_keys": StuckKeys("stuck_keys", release)})
    hs = app.extensions["hearthside"]
    assert "stuck.key" not in backup_files(hs)  # ``hearthside backup`` asks this first; it did not wait
    assert hs.plugins.plugins["stuck_keys"].state == "failed"


def test_a_third_party_plugin_whose_import_never_returns_is_not_loaded(release):
    plugins = PluginManager(hook_seconds=1)
    plugins.load([Candidate("slow_import", "1.0", release.wait)])
    assert plugins.report()[0]["state"] == "failed"
    assert plugins.report()[0]["error"] == ("did not finish importing within 1 s (server.hook_seconds); "
                                            "not loaded")


@pytest.mark.parametrize("target", ["rituals:hearthside_startup:hang", "matcher:import:hang"])
def test_serve_with_a_built_in_hanging_at_start_up_stops_with_one_plain_sentence(tmp_path, target):
    plugin, how, _hang = target.split(":")
    done = broken_command(target, "serve", "--host", "127.0.0.1", "--port", "9", "--data-dir",
                          str(tmp_path / "data"), env=BOX)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ready" not in (done.stdout + done.stderr).lower()
    [sentence] = [line for line in done.stderr.splitlines() if line.startswith("Cannot start:")]
    cause = "did not finish importing" if how == "import" else f"did not answer {how}"
    assert sentence.startswith(f"Cannot start: the built-in plugin '{plugin}' {cause} within 1 s")
    assert "Traceback" not in done.stderr


def eventually(found, timeout: float = 30):
    """Wait for ``found()`` to answer something true (a wait, not a timing assertion); returns it."""
    deadline = time.monotonic() + timeout
    while not (answer := found()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer


def run_row(data_dir, job_id: str) -> dict:
    with sqlite3.connect(data_dir / "hearthside.db") as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM scheduler_runs WHERE job_id = ?", [job_id]).fetchone())


class TwoJobs:
    """A third-party plugin with a job that hangs and one that does not; both missed a run."""

    HEARTHSIDE_API = ">=1.2,<2"
    __name__ = "two_jobs"

    def __init__(self, release: threading.Event):
        self.release = release
        self.ran: list[str] = []

    def hang(self, hs):
        self.release.wait()
        self.ran.append("hung")

    def quick(self, hs):
        self.ran.append("quick")

    @hookimpl
    def hearthside_scheduled_jobs(self, hs):
        return [ScheduledJob("two_jobs.hang", self.hang, cron="0 3 * * *"),
                ScheduledJob("two_jobs.quick", self.quick, cron="0 3 * * *")]


def test_a_hung_job_does_not_keep_the_other_jobs_or_the_scheduler_waiting(make_app, data_dir, release, caplog):
    jobs = TwoJobs(release)
    app = make_app(env={**BOX, "HEARTHSIDE_SCHEDULER__JOB_SECONDS": "2"}, extra_plugins={"two_jobs": jobs})
    hs = app.extensions["hearthside"]
    hs.start_scheduler().shutdown()  # first seen: each job's record starts now
    with sqlite3.connect(data_dir / "hearthside.db") as db:  # then the server was off for days
        db.execute("UPDATE scheduler_runs SET last_run_at = '2020-01-01T00:00:00+00:00' "
                   "WHERE job_id LIKE 'two_jobs.%'")
    scheduler = hs.start_scheduler()  # the catch-up runs the hung job first
    try:
        assert jobs.ran == ["quick"]
        assert scheduler.next_runs()["two_jobs.quick"] is not None  # and the scheduler runs
        assert "Job two_jobs.hang is still running after 1 s; the other jobs go on" in caplog.text
        # Nobody waits for a catch-up run past its box: the heartbeat's check reports it.
        assert eventually(scheduler.overrunning) == ["two_jobs.hang"]
        assert run_row(data_dir, "two_jobs.hang")["overran_at"] is not None
    finally:
        release.set()
        scheduler.shutdown()


class Overrunner:
    """A third-party plugin with a job that hangs and one that does not, each due every second."""

    HEARTHSIDE_API = ">=1.2,<2"
    __name__ = "overrunner"

    def __init__(self, release: threading.Event):
        self.release = release
        self.hung = threading.Event()
        self.hung_runs = 0
        self.quick_runs_since = threading.Semaphore(0)  # one per quick run while the other one hangs

    def hang(self, hs):
        self.hung_runs += 1
        self.hung.set()
        self.release.wait()

    def quick(self, hs):
        if self.hung.is_set():
            self.quick_runs_since.release()

    @hookimpl
    def hearthside_scheduled_jobs(self, hs):
        return [ScheduledJob("overrunner.hang", self.hang, every=timedelta(seconds=1)),
                ScheduledJob("overrunner.quick", self.quick, every=timedelta(seconds=1))]


def test_a_job_that_overruns_holds_neither_the_scheduler_nor_requests_nor_shutdown(make_app, data_dir, release,
                                                                                     caplog):
    jobs = Overrunner(release)
    app = make_app(env={**BOX, "HEARTHSIDE_SCHEDULER__JOB_SECONDS": "1", "HEARTHSIDE_SERVER__SHUTDOWN_SECONDS": "1"},
                   extra_plugins={"overrunner": jobs})
    scheduler = app.extensions["hearthside"].start_scheduler()
    try:
        assert jobs.hung.wait(30)
        # Reported: one line naming the job, and in its record of runs.
        assert eventually(lambda: run_row(data_dir, "overrunner.hang")["overran_at"])
        assert run_row(data_dir, "overrunner.hang")["running_since"] is not None
        [line] = {r.getMessage() for r in caplog.records if "has run for more than" in r.getMessage()}
        assert line == ("Job overrunner.hang has run for more than 1 s (scheduler.job_seconds); the scheduler and "
                        "the other jobs go on without it, and it is not started again until it ends")
        # The other job keeps its slots, and the hung one is not started a second time.
        for _ in range(3):
            assert jobs.quick_runs_since.acquire(timeout=30)
        assert eventually(lambda: "Job overrunner.hang is still running from" in caplog.text)
        assert jobs.hung_runs == 1
        # Requests, writes included, are answered meanwhile.
        ann, _bob = onboard_couple(app.test_client())
        assert ann.post("/api/v1/pause").status_code == 200
    finally:
        stopping = threading.Thread(target=scheduler.shutdown)
        stopping.start()
        stopping.join(60)
    assert not stopping.is_alive() and not release.is_set()  # stopped while the job still hangs
    assert "Job overrunner.hang was still running when the scheduler stopped" in caplog.text
    release.set()
    assert eventually(lambda: run_row(data_dir, "overrunner.hang")["running_since"] is None)  # it ended: recorded


class LateWriter(Stuck):
    """Writes on a connection of its caller, before and after it overran: the one it was given (inside its
    caller's transaction, or in one of its own) or the request's, which it opens itself."""

    def __init__(self, name: str, release: threading.Event, how: str):
        super().__init__(name, release)
        self.how = how
        self.finished = threading.Event()
        self.refused: list[str] = []

    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        try:
            if self.how == "own transaction":
                with db.atomic():
                    self.write_wait_write(db)
            else:
                self.write_wait_write(get_db() if self.how == "request's connection" else db)
        except sqlite3.Error as exc:
            self.refused.append(str(exc))
        finally:
            self.finished.set()
        return []

    def write_wait_write(self, db):
        db.execute("INSERT INTO late_marks VALUES ('hook, in time')")
        if db.conn.in_transaction:
            emit(db, "test.note_shared", 1, {}, visibility="couple")
        self.wait()
        db.execute("INSERT INTO late_marks VALUES ('hook, after it overran')")


def cards(hs, db, couple_id: int) -> dict:
    return dict(hs.plugins.call_by_plugin("hearthside_dashboard_cards", hs=hs, db=db, couple_id=couple_id))


def marks_app(make_app, plugins: dict):
    """An app with ``plugins``, a couple, a ``late_marks`` table, and the types of the events that went live."""
    app = make_app(env=BOX, extra_plugins={**plugins, **TEST_EVENT_TYPES})
    hs = app.extensions["hearthside"]
    couple = couple_id_of(app, onboard_couple(app.test_client())[0])
    live: list[str] = []
    hs.hub.subscribe(lambda event: live.append(event.type))
    with hs.storage.connection() as db, db.atomic():
        db.execute("CREATE TABLE late_marks (mark TEXT)")
    return app, hs, couple, live


def marks(data_dir) -> list[str]:
    with sqlite3.connect(data_dir / "hearthside.db") as db:
        return sorted(row[0] for row in db.execute("SELECT mark FROM late_marks"))


@pytest.mark.parametrize("how", ["caller's transaction", "own transaction", "request's connection"])
def test_a_hook_that_overran_never_writes_into_its_callers_transaction(make_app, data_dir, release, how):
    """A connection of the request, reached by a hook that overran: what the hook wrote in the caller's
    transaction (or in its own) is undone, what it tries next is refused, and the caller's later
    transaction holds the caller's writes only."""
    hook = LateWriter("late_writer", release, how)
    app, hs, couple, live = marks_app(make_app, {"late_writer": hook})
    expected = ["caller, after"]
    with app.test_request_context("/api/v1/dashboard"):
        if how == "caller's transaction":
            db = get_db()
            with db.atomic():
                db.execute("INSERT INTO late_marks VALUES ('caller, before')")
                assert "late_writer" not in cards(hs, db, couple)  # it overran
                release.set()
                assert hook.finished.wait(30)
                db.execute("INSERT INTO late_marks VALUES ('caller, after')")
            expected.append("caller, before")
        else:
            given = hs.storage.connect() if how == "request's connection" else get_db()
            assert "late_writer" not in cards(hs, given, couple)  # it overran
            db = get_db()  # the request's: the one the hook opened, in the third case
            assert not db.conn.in_transaction  # a transaction of the hook's is not left open on it
            release.set()
            assert hook.finished.wait(30)
            with db.atomic():
                db.execute("INSERT INTO late_marks VALUES ('caller, after')")
            given.close()
            expected += ["hook, in time"] if how == "request's connection" else []  # its own, complete write
    assert hs.plugins.plugins["late_writer"].state == "failed"
    assert hook.refused == ["not authorized"]
    assert marks(data_dir) == sorted(expected)
    assert "test.note_shared" not in live  # what it queued went with what it wrote


class InTime:
    """A third-party plugin whose hook writes and emits in its caller's transaction, in time."""

    HEARTHSIDE_API = ">=1.0,<2"
    __name__ = "in_time"

    @hookimpl
    def hearthside_dashboard_cards(self, hs, db, couple_id):
        db.execute("INSERT INTO late_marks VALUES ('hook, in time')")
        emit(db, "test.note_shared", couple_id, {}, visibility="couple")
        return []


def test_a_hook_in_time_writes_and_queues_events_in_its_callers_transaction(make_app, data_dir):
    app, hs, couple, live = marks_app(make_app, {"in_time": InTime()})
    with app.test_request_context("/api/v1/dashboard"):
        db = get_db()
        with db.atomic():
            db.execute("INSERT INTO late_marks VALUES ('caller')")
            assert "in_time" in cards(hs, db, couple)
            assert live == []  # queued with the caller's transaction, live after its commit
    assert live == ["test.note_shared"] and marks(data_dir) == ["caller", "hook, in time"]


def test_every_command_that_loads_plugins_has_safe_mode_and_restore_says_why_it_has_none():
    for name, command in cli.commands.items():
        options = {option for param in command.params for option in param.opts}
        if name == "restore":
            assert "--safe-mode" not in options and "No --safe-mode here" in command.help
        elif name == "new-plugin":  # writes files from a template; loads no plugin at all
            assert "--safe-mode" not in options
        else:
            assert "--safe-mode" in options, name


def test_a_box_used_before_a_fork_still_answers_in_the_child():
    """gunicorn builds the app (calling hooks in boxes) in the master, then forks the worker."""
    box = TimeBox(5)
    assert box.call(int, "7") == 7  # a helper now waits for the next call, in this process only
    child = os.fork()
    if child == 0:
        try:
            os._exit(0 if box.call(int, "8") == 8 else 1)
        except BaseException:
            os._exit(2)
    assert os.waitpid(child, 0)[1] == 0


def test_a_stopped_app_leaves_no_helper_thread_and_nothing_of_itself_behind(hearthside_plugins, _migrated_databases,
                                                                           tmp_path):
    """Each app's hook box had helpers waiting forever, holding the last call's app: every stopped app stayed
    in memory (a test run grew to 380 MB; a server that rebuilds its app would too)."""
    import gc
    import weakref

    from hearthside.testing.plugin import build_app

    before = set(threading.enumerate())
    app = build_app(tmp_path / "data", hearthside_plugins, False, _migrated_databases)
    ann, _bob = onboard_couple(app.test_client())
    assert ann.get("/").status_code == 200
    runtime = weakref.ref(app.extensions["hearthside"])
    helpers = [t for t in set(threading.enumerate()) - before if t.name == "hearthside-hook"]
    assert helpers  # the build's hooks ran in the box
    app.extensions["hearthside"].shutdown()
    del app, ann, _bob
    for helper in helpers:
        helper.join(10)
    assert not any(helper.is_alive() for helper in helpers)
    gc.collect()
    assert runtime() is None


def test_a_closed_box_ends_a_busy_helper_once_its_call_returns():
    box, release = TimeBox(5, "closing-box"), threading.Event()
    started = box.start(release.wait)
    box.close()
    [helper] = [t for t in threading.enumerate() if t.name == "closing-box"]
    release.set()
    assert started.done.wait(10)
    helper.join(10)
    assert not helper.is_alive()
