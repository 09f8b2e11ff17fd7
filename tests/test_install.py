"""The first thing every user does: install Hearthside as the README says, and start it.

The suite itself runs from an editable install, which cannot see a file that
the wheel forgot. These tests take the path a user takes instead: a clean
copy of the tree, the README's ``pip install .`` into a fresh ``.venv``
(``fresh_install``), the real ``hearthside`` command, and the Raspberry Pi
guide's upgrade and systemd commands. They also build the sdist and the
wheel and hold them to every file git tracks under core/, plugins/ and web/.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import requests

from hearthside.testing import free_port
from tests.conftest import PASSWORD, REPO_ROOT, ServerProcess
from tests.support.fresh_install import PI_GUIDE, README, clean_copy, run_command, shell_blocks, source_files, user_env

pytestmark = pytest.mark.slow

# Where each source folder lands in the installed package.
PACKAGE_ROOTS = {"core": "hearthside", "plugins": "hearthside/plugins", "web": "hearthside/web"}


def package_files(root: Path = REPO_ROOT) -> set[str]:
    """Every file of the three package folders, as its path inside the installed package."""
    wanted = set()
    for relative in source_files(root):
        folder, *rest = relative.parts
        if folder in PACKAGE_ROOTS and rest:
            wanted.add("/".join([PACKAGE_ROOTS[folder], *rest]))
    return wanted


def built_in_plugins(root: Path = REPO_ROOT) -> list[str]:
    return sorted(path.parent.name for path in (root / "plugins").glob("*/__init__.py"))


def test_the_sdist_and_the_wheel_built_from_it_carry_every_file_of_the_package(tmp_path):
    source = clean_copy(tmp_path / "source")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(source)],
                          capture_output=True, text=True, env=user_env(), timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    [wheel] = (tmp_path / "dist").glob("hearthside-*.whl")
    [sdist] = (tmp_path / "dist").glob("hearthside-*.tar.gz")
    wanted = package_files()
    assert {"hearthside/web/api/__init__.py", "hearthside/plugins/matcher/catalog/v1.json"} <= wanted

    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert sorted(wanted - in_wheel) == [], "files missing from the wheel"

    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked = {path.as_posix() for path in source_files() if path.parts[0] in PACKAGE_ROOTS}
    assert sorted(tracked - in_sdist) == [], "files missing from the sdist"


def test_pip_install_dot_installs_every_file_of_the_package(fresh_install):
    [site_packages] = (fresh_install.folder / ".venv" / "lib").glob("python3*/site-packages")
    installed = {path.relative_to(site_packages).as_posix() for path in (site_packages / "hearthside").rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts}
    assert sorted(package_files() - installed) == [], "files pip install . left out"
    assert not any(path.name.endswith(".pth") and "hearthside" in path.name for path in site_packages.iterdir()), \
        "an editable install: the test must see what a user gets"


def test_hearthside_plugins_lists_every_built_in_as_loaded(fresh_install):
    done = fresh_install.hearthside("plugins")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.strip().splitlines()[1:]}
    for name in ["core", *built_in_plugins()]:
        assert name in rows and rows[name][1:3] == ["yes", "loaded"], (name, done.stdout)
    assert not [line for line in done.stdout.splitlines() if "failed" in line], done.stdout


def test_a_fresh_install_serves_the_api_the_pages_and_every_built_in_plugin(fresh_install, tmp_path):
    server = ServerProcess(tmp_path / "data", program=[fresh_install.bin / "hearthside", "serve"],
                           cwd=fresh_install.folder)
    try:
        get = lambda path, session=requests: session.get(server.url + path, timeout=10, allow_redirects=False)
        health = get("/api/v1/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert "Hearthside is ready" in server.output()
        welcome = get("/welcome")
        assert welcome.status_code == 200 and "<form" in welcome.text and "Welcome" in welcome.text
        assert get("/static/hearthside.js").status_code == 200

        assert requests.post(server.url + "/api/v1/onboarding", timeout=10, json={
            "couple": {"name": "Fresh Home"},
            "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}}).status_code == 201
        signin = get("/signin")
        assert signin.status_code == 200 and 'id="password"' in signin.text

        browser = requests.Session()
        assert browser.post(server.url + "/api/v1/auth/session", json={"username": "ann", "password": PASSWORD},
                            timeout=10).status_code == 200
        assert get("/", browser).status_code == 200
        for plugin in built_in_plugins():
            anonymous = get(f"/{plugin}")
            assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"], plugin
            page = get(f"/{plugin}", browser)
            assert page.status_code == 200 and "<main" in page.text, (plugin, page.status_code, page.text[:500])
            for asset in sorted((REPO_ROOT / "plugins" / plugin / "static").iterdir()):
                assert get(f"/{plugin}/static/{asset.name}").status_code == 200, (plugin, asset.name)
    finally:
        assert server.stop() == 0, server.output()


def test_the_pi_guide_installs_with_the_readmes_command():
    [install] = [line for line in shell_blocks(PI_GUIDE) if line.startswith("python3 -m venv")]
    assert install == run_command(README) == "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/hearthside serve"


def upgrade_install_step() -> str:
    """The Pi guide's upgrade line, from its ``pip install`` on (the git pull and systemctl are the Pi's)."""
    [line] = [line for line in shell_blocks(PI_GUIDE) if "git pull" in line]
    steps = [step.strip() for step in line.split("&&")]
    assert steps[0] == "cd ~/hearthside" and steps[1] == "git pull" and steps[-1].startswith("sudo systemctl restart")
    return " && ".join(steps[2:-1])


def test_the_pi_guides_upgrade_command_installs_the_new_code(fresh_install, tmp_path):
    step = upgrade_install_step()
    assert step == ".venv/bin/pip install ."
    signin = fresh_install.folder / "web" / "templates" / "signin.html"
    before, block_end, after = signin.read_text().rpartition("{% endblock %}")
    signin.write_text(before + "<!-- upgraded -->" + block_end + after)  # what a git pull brings
    fresh_install.shell(step)
    server = ServerProcess(tmp_path / "data", program=[fresh_install.bin / "hearthside", "serve"],
                           cwd=fresh_install.folder)
    try:
        requests.post(server.url + "/api/v1/onboarding", timeout=10, json={
            "couple": {"name": "Fresh Home"},
            "member": {"username": "ann", "password": PASSWORD, "display_name": "Ann"}})
        assert "<!-- upgraded -->" in requests.get(server.url + "/signin", timeout=10).text
    finally:
        assert server.stop() == 0, server.output()


def systemd_unit() -> dict[str, str]:
    [unit] = re.findall(r"```ini\n(.*?)```", PI_GUIDE.read_text(), re.S)
    return dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))


def test_the_pi_guides_systemd_unit_starts_the_server_and_stops_it_cleanly(fresh_install, tmp_path):
    unit = systemd_unit()
    assert unit["WorkingDirectory"] == "/home/you/hearthside" and unit["KillSignal"] == "SIGTERM"
    command = unit["ExecStart"].replace("/home/you/hearthside-data", str(tmp_path / "data")) \
                               .replace("/home/you/hearthside", str(fresh_install.folder))
    port = free_port()
    log = tmp_path / "journal.log"
    with open(log, "wb") as journal:
        # Only the address differs from the Pi: a test listens on loopback and a free port.
        process = subprocess.Popen(command.split(), cwd=fresh_install.folder, stdout=journal, stderr=subprocess.STDOUT,
                                   env=user_env(HEARTHSIDE_HOST="127.0.0.1", HEARTHSIDE_PORT=str(port)))
        try:
            ServerProcess.wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=int(unit["TimeoutStopSec"])) == 0, log.read_text()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert (tmp_path / "data" / "hearthside.db").is_file()
    assert "Shutting down" in log.read_text()
