"""The admin's backups: ``GET /api/v1/admin/backups`` and the in-app download.

Thinking as the other partner: the bundle holds Bob's private words too, so Ann
(the admin) may download it only while *both* keep ``core.backup_download`` on,
and never on a server other couples share. Every other caller gets nothing.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hearthside.cli import cli
from hearthside.testing import PASSWORD

SCOPE = "core.backup_download"
PASSPHRASE = "the lighthouse at dusk"


def error_code(answer) -> str:
    return answer.json["error"]["code"]


@pytest.fixture
def app(make_app):
    """A server that backs itself up daily, as out of the box (the test kit turns it off otherwise)."""
    return make_app(flags={"backups.schedule": "daily"})


@pytest.fixture
def consented(couple):
    ann, bob = couple
    ann.grant(SCOPE)
    bob.grant(SCOPE)
    return ann, bob


def test_the_admin_sees_the_schedule_and_that_a_download_needs_consent(couple):
    ann, _bob = couple
    answer = ann.get("/api/v1/admin/backups")
    assert answer.status_code == 200
    body = answer.json
    assert (body["schedule"], body["time"], body["keep"], body["copy_to"]) == ("daily", "03:30", 10, None)
    assert body["last"] is None and body["recent"] == [] and body["next_at"]
    assert body["download"] == {"allowed": False, "code": "consent_required", "message": body["download"]["message"]}


def test_nobody_else_sees_the_backup_overview(couple, wall, other_couple, client):
    _ann, bob = couple
    cat, _dan = other_couple
    assert client.get("/api/v1/admin/backups").status_code == 401
    for caller in (bob, wall, cat):
        answer = caller.get("/api/v1/admin/backups")
        assert answer.status_code == 403, answer.json
    assert error_code(bob.get("/api/v1/admin/backups")) == "admins_only"


def test_the_admin_downloads_the_bundle_once_both_consent(couple, data_dir, tmp_path, make_app):
    ann, bob = couple
    refused = ann.post("/api/v1/admin/backups", json={})
    assert refused.status_code == 403 and error_code(refused) == "consent_required"
    ann.grant(SCOPE)
    refused = ann.post("/api/v1/admin/backups", json={})
    assert refused.status_code == 403 and error_code(refused) == "consent_required"  # Ann alone is not enough
    bob.grant(SCOPE)

    answer = ann.post("/api/v1/admin/backups", json={})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/octet-stream"
    assert answer.headers["Cache-Control"] == "no-store"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="hearthside-') and disposition.endswith('-download.hsb"')
    assert ann.get("/api/v1/admin/backups").json["download"]["allowed"] is True
    assert not list((data_dir / "backups").glob("*download*"))  # nothing left behind on the server

    told = [e for e in bob.get("/api/v1/events?after=0").json["events"] if e["type"] == "backup.downloaded"]
    assert len(told) == 1 and told[0]["actor_id"] == ann.id  # the partner knows a full copy left the Pi

    bundle = tmp_path / "downloaded.hsb"
    bundle.write_bytes(answer.data)
    done = CliRunner().invoke(cli, ["restore", str(bundle), "--data-dir", str(tmp_path / "new")])
    assert done.exit_code == 0, done.output
    restored = make_app(flags={"data_dir": str(tmp_path / "new")}).test_client()
    assert restored.post("/api/v1/auth/token", json={"username": "bob", "password": PASSWORD}).status_code == 200


def test_revoking_the_consent_stops_downloads_at_once(consented):
    ann, bob = consented
    assert ann.post("/api/v1/admin/backups", json={}).status_code == 200
    bob.grant(SCOPE, False)
    answer = ann.post("/api/v1/admin/backups", json={})
    assert answer.status_code == 403 and error_code(answer) == "consent_required"


def test_an_encrypted_download_needs_its_passphrase(consented, tmp_path):
    ann, _bob = consented
    answer = ann.post("/api/v1/admin/backups", json={"passphrase": PASSPHRASE})
    assert answer.status_code == 200
    assert answer.data.startswith(b"HEARTHSIDE-BUNDLE-ENC-1\n")
    bundle = tmp_path / "sealed.hsb"
    bundle.write_bytes(answer.data)
    runner = CliRunner()
    done = runner.invoke(cli, ["restore", str(bundle), "--data-dir", str(tmp_path / "new")])
    assert done.exit_code == 1 and "encrypted" in done.stderr
    done = runner.invoke(cli, ["restore", str(bundle), "--data-dir", str(tmp_path / "new"), "--passphrase-prompt"],
                         input=PASSPHRASE + "\n")
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize("body", [{"passphrase": "short"}, {"passphrase": 12345678}, {"passphrase": ["x" * 9]},
                                  {"passphrase": "x" * 1025}])
def test_a_bad_passphrase_is_a_clear_400(consented, body):
    ann, _bob = consented
    answer = ann.post("/api/v1/admin/backups", json=body)
    assert answer.status_code == 400 and error_code(answer) == "invalid_field"
    assert "passphrase" in answer.json["error"]["message"]


def test_a_mistyped_field_is_refused_not_ignored(consented):
    ann, _bob = consented
    answer = ann.post("/api/v1/admin/backups", json={"pasphrase": "a long passphrase"})  # sealed? it would not be
    assert answer.status_code == 400 and error_code(answer) == "unknown_field"
    assert "pasphrase" in answer.json["error"]["message"] and "passphrase" in answer.json["error"]["message"]
    assert ann.get("/api/v1/events").json["events"][-1]["type"] != "backup.downloaded"  # nothing was handed out


def test_a_body_that_is_not_an_object_is_a_clear_400(consented):
    ann, _bob = consented
    answer = ann.post("/api/v1/admin/backups", data="[1]", content_type="application/json")
    assert answer.status_code == 400 and error_code(answer) == "invalid_json"


def test_no_one_but_the_admin_downloads(consented, wall, client):
    _ann, bob = consented
    assert client.post("/api/v1/admin/backups", json={}).status_code == 401
    for caller in (bob, wall):
        answer = caller.post("/api/v1/admin/backups", json={})
        assert answer.status_code == 403, answer.json
        assert not answer.data.startswith(b"PK")
    assert error_code(bob.post("/api/v1/admin/backups", json={})) == "admins_only"


def test_a_server_shared_by_couples_never_downloads_in_the_app(consented, other_couple):
    ann, _bob = consented
    cat, dan = other_couple
    cat.grant(SCOPE)
    dan.grant(SCOPE)
    answer = ann.post("/api/v1/admin/backups", json={})
    assert answer.status_code == 403 and error_code(answer) == "backup_download_shared_server"
    assert "hearthside backup" in answer.json["error"]["message"]
    assert ann.get("/api/v1/admin/backups").json["download"]["code"] == "backup_download_shared_server"
    for caller in (cat, dan):
        assert caller.post("/api/v1/admin/backups", json={}).status_code == 403


# -- the admin page's Backups panel (served HTML; tests/test_admin_backups_browser.py drives Chromium) ----------


def test_the_panel_explains_why_a_download_is_off_and_shows_a_failed_run(app, couple, monkeypatch):
    from hearthside import backup_schedule
    from hearthside.testing import sign_in_browser

    ann, bob = couple
    page = sign_in_browser(app, ann).get("/admin").get_data(as_text=True)
    assert "Download a backup" in page and "No scheduled backup has run yet." in page
    assert "both of you to turn on" in page and "disabled>Download a backup" in page

    monkeypatch.setattr(backup_schedule, "write_bundle", _disk_full)
    backup_schedule.run_scheduled_backup(app.extensions["hearthside"])
    ann.grant(SCOPE)
    bob.grant(SCOPE)
    page = sign_in_browser(app, ann).get("/admin").get_data(as_text=True)
    assert "It failed: not enough free space in" in page
    assert "disabled>Download a backup" not in page and "data-backup-refusal" not in page


def test_the_partner_gets_no_backups_panel(app, couple):
    from hearthside.testing import sign_in_browser

    _ann, bob = couple
    answer = sign_in_browser(app, bob).get("/admin")
    assert answer.status_code == 403 and "Download a backup" not in answer.get_data(as_text=True)


def _disk_full(*_args, **_kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")
