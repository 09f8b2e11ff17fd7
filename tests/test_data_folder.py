"""The data folder is the server's user's alone: folders 0700, files 0600, from creation on,
and tightened at start when an earlier version (or a cp, or an unzip) left them wider."""

import logging
import os
import subprocess
import sys

import pytest

from hearthside.testing import HttpClient
from tests.conftest import ServerProcess, onboard_couple
from tests.support.private_texts import loose_modes, new_marker, write_everywhere


@pytest.fixture
def usual_umask():
    """The usual umask (022): what a file not created private would be readable with."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _use(app) -> None:
    """Real use: a couple, words in every plugin (the matcher's key included), a consent turned off."""
    ann, bob = onboard_couple(app.test_client())
    ritual = write_everywhere(ann, new_marker())
    write_everywhere(bob, new_marker(), ritual)
    ann.grant("matcher.reveal")
    ann.grant("matcher.reveal", False)  # a revocation: the ledger file is written


def test_every_file_and_folder_after_real_use_is_private(make_app, data_dir, usual_umask):
    app = make_app()
    _use(app)
    app.extensions["hearthside"].storage.automatic_backup("before-migrations", keep=10)
    done = subprocess.run([sys.executable, "-m", "hearthside", "backup", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    app.extensions["hearthside"].shutdown()
    make_app()  # a restart
    names = {path.name for path in data_dir.rglob("*")}
    assert {"hearthside.db", "secret_key", "matcher.key", "forgotten.jsonl", "backups"} <= names
    assert len(list((data_dir / "backups").iterdir())) >= 2
    assert loose_modes(data_dir) == []


def test_a_folder_left_open_by_an_earlier_version_is_tightened_at_start_and_logged(make_app, data_dir, caplog):
    app = make_app()
    _use(app)
    app.extensions["hearthside"].shutdown()
    plugin_folder = data_dir / "some-plugin"
    plugin_folder.mkdir()
    (plugin_folder / "cache.json").write_text("{}")
    os.chmod(data_dir, 0o755)
    for path in data_dir.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    with caplog.at_level(logging.INFO, logger="hearthside"):
        make_app()
    assert loose_modes(data_dir) == []
    said = caplog.text
    for line in (".: 0755 -> 0700", "hearthside.db: 0644 -> 0600", "secret_key: 0644 -> 0600",
                 "matcher.key: 0644 -> 0600", "forgotten.jsonl: 0644 -> 0600", "some-plugin: 0755 -> 0700",
                 "some-plugin/cache.json: 0644 -> 0600"):
        assert line in said, line
    assert said.count("hearthside.db: 0644") == 1  # one line per thing tightened


def test_the_files_a_running_server_creates_are_private(data_dir, usual_umask):
    server = ServerProcess(data_dir)
    try:
        ann, bob = onboard_couple(HttpClient(server.url))
        write_everywhere(ann, new_marker())
        assert (data_dir / "hearthside.db-wal").exists() and (data_dir / "hearthside.db-shm").exists()
        assert loose_modes(data_dir) == []
    finally:
        server.stop()
