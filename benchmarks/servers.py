"""The servers the benchmarks measure, started the way a user starts them.

* ``bare``       - ``benchmarks/bare_app.py`` (Flask-SocketIO and nothing else)
  under gunicorn with one ``gthread`` worker, 256 threads and the app loaded
  before the fork (``--preload``): the async mode and gunicorn settings of
  ``hearthside serve`` (docs/serving.md), so the difference is Hearthside.
* ``bare-gevent`` - the same app served by gevent's WSGI server, monkey-patched
  (the serving model docs/serving.md weighs against gthread);
* ``hearthside`` - the real ``hearthside serve`` in a subprocess on 127.0.0.1
  with a temporary data folder and every built-in plugin enabled; plugins that
  merely happen to be installed (the example) are switched off, so the figure
  is the product's and not this checkout's.

Memory is read from ``/proc``: ``VmRSS`` of ``/proc/<pid>/status`` summed over
the gunicorn master and its worker (both stacks fork the same way, so the
double-counted shared pages cancel out in the ratio), and PSS as a second
opinion. Open file descriptors are the entries of ``/proc/<pid>/fd``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import entry_points
from pathlib import Path

import requests

from hearthside.testing import HttpClient, free_port, onboard_couple, pair_device, stop_server

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BUILT_IN_PLUGINS = {"core", "matcher", "rituals", "transparency", "touch"}
THREADS = 256  # the default of server.threads, for both stacks


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without HEARTHSIDE_* settings, plus ``extra``.

    Bytecode is cached (in a folder of its own, not in the checkout) even when
    the caller set PYTHONDONTWRITEBYTECODE: an installed server has its .pyc
    files, and compiling every module at each start is not what a user waits for.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTHSIDE_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "hearthside-bench-pycache")
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def only_built_in_plugins() -> dict[str, str]:
    """Settings that switch off every installed plugin that is not a built-in one."""
    names = {ep.name for ep in entry_points(group="hearthside.plugins")} - BUILT_IN_PLUGINS
    return {f"HEARTHSIDE_PLUGINS__{name.upper()}__ENABLED": "false" for name in sorted(names)}


class Server:
    """One server process on a free loopback port; ``start_seconds`` is process start to a health 200."""

    def __init__(self, kind: str, data_dir: Path | None = None, settings: dict[str, str] | None = None,
                 python_flags: tuple[str, ...] = ()):
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.work_dir = Path(tempfile.mkdtemp(prefix=f"hs-bench-{kind}-"))
        self.data_dir = data_dir or self.work_dir / "data"
        self.log_path = self.work_dir / "server.log"
        self._log = open(self.log_path, "ab")
        if kind == "bare":
            command = ["-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", str(THREADS), "--preload",
                       "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "benchmarks.bare_app:app"]
            env = clean_env()
        elif kind == "bare-gevent":  # needs gevent installed (no dependency of Hearthside)
            command = ["-m", "benchmarks.bare_app", "--gevent", str(self.port)]
            env = clean_env()
        elif kind == "hearthside":
            command = ["-m", "hearthside", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                       "--data-dir", str(self.data_dir)]
            env = clean_env({"HEARTHSIDE_LOG_LEVEL": "info", **only_built_in_plugins(), **(settings or {})})
        else:
            raise ValueError(f"unknown server kind {kind!r}")
        started = time.monotonic()
        self.process = subprocess.Popen([PYTHON, *python_flags, *command], cwd=ROOT, env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.005)
        raise RuntimeError(f"{self.kind} did not answer within {timeout}s:\n{self.log_text()[-3000:]}")

    # -- what /proc says -------------------------------------------------------------

    def pids(self) -> list[int]:
        """The server process and its children (gunicorn's worker)."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except OSError:
                pass
        return found

    def _summed(self, file: str, name: str) -> int:
        """The number after ``name`` in ``/proc/<pid>/<file>``, summed over :meth:`pids`."""
        return sum(_proc_field(f"/proc/{pid}/{file}", name) for pid in self.pids())

    def rss_kib(self) -> int:
        return self._summed("status", "VmRSS:")

    def pss_kib(self) -> int:
        return self._summed("smaps_rollup", "Pss:")

    def open_fds(self) -> int:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):  # the worker may be gone between the two reads
                total += len(os.listdir(f"/proc/{pid}/fd"))
        return total

    def threads(self) -> int:
        return self._summed("status", "Threads:")

    # -- logs and stopping -------------------------------------------------------------

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def count_in_log(self, text: str) -> int:
        return self.log_text().count(text)

    def stop(self, keep_data: bool = False) -> None:
        stop_server(self.process, timeout=20)
        self._log.close()
        if not keep_data:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def _proc_field(path: str, name: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


# -- talking to the API as a user does ---------------------------------------------------------


class Couple:
    """Ann and Bob signed up through the real API, the wall paired, transparency shared by both."""

    def __init__(self, url: str):
        http = HttpClient(url)
        self.ann, self.bob = onboard_couple(http)
        self.wall = pair_device(self.ann)
        for member in (self.ann, self.bob):
            member.grant("transparency.share")

    def tokens(self) -> list[str]:
        """Tokens to spread live clients over: both phones and the wall."""
        return [self.ann.token, self.bob.token, self.wall.token]


def machine() -> dict[str, str]:
    """CPU, cores, RAM and Python of this machine, for the README."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = _proc_field("/proc/meminfo", "MemTotal:") / 1024 / 1024
    return {"cpu": cpu, "cores": str(os.cpu_count()), "ram": f"{ram_gib:.1f} GiB",
            "python": sys.version.split()[0], "platform": sys.platform}
