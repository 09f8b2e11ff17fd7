"""The house's own certificate authority (hearthside.tls): made once, kept, renewed, and only for home."""

from __future__ import annotations

import datetime as dt
import ipaddress
import plistlib
import stat
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from hearthside import config as settings
from hearthside import tls

NAMES, ADDRESSES = ["localhost", "hearth", "hearth.local"], ["127.0.0.1", "::1", "192.168.1.23"]
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def machine_named_hearth(monkeypatch):
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "hearth")


def make(data_dir, names=NAMES, addresses=ADDRESSES, now=NOW):
    return tls.ensure_certificates(data_dir, names, addresses, now=now)


def load_chain(path):
    return x509.load_pem_x509_certificates(path.read_bytes())


def verifier(ca, subject, now=NOW):
    return PolicyBuilder().store(Store([ca])).time(now).build_server_verifier(subject)


def test_first_use_makes_a_ca_and_a_server_certificate_for_every_name_and_address(data_dir):
    made = make(data_dir)
    leaf, ca = load_chain(made.certfile)
    assert ca == tls.ca_certificate(data_dir)  # the chain ends with the CA, as gunicorn hands it to phones
    for name in NAMES:
        verifier(ca, x509.DNSName(name)).verify(leaf, [])
    for address in ADDRESSES:
        verifier(ca, x509.IPAddress(ipaddress.ip_address(address))).verify(leaf, [])
    assert made.ca_fingerprint == ca.fingerprint(hashes.SHA256()).hex(":").upper()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_keys_are_private_to_the_servers_user(data_dir):
    made = make(data_dir)
    folder = tls.tls_folder(data_dir)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (made.keyfile, folder / tls.CA_KEY, made.certfile, folder / tls.CA_CERT):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert b"PRIVATE KEY" in (folder / tls.CA_KEY).read_bytes()
    assert b"PRIVATE KEY" not in (folder / tls.CA_CERT).read_bytes() + made.certfile.read_bytes()


def test_a_restart_reuses_the_ca_and_a_certificate_that_still_fits(data_dir):
    first = make(data_dir)
    before = {name: (tls.tls_folder(data_dir) / name).read_bytes() for name in (tls.CA_KEY, tls.CA_CERT,
                                                                                  tls.SERVER_KEY, tls.SERVER_CERT)}
    again = make(data_dir, now=NOW + dt.timedelta(days=100))
    assert again == first
    assert before == {name: (tls.tls_folder(data_dir) / name).read_bytes() for name in before}


def test_the_server_certificate_is_renewed_before_it_expires_under_the_same_ca(data_dir):
    make(data_dir)
    ca_before = (tls.tls_folder(data_dir) / tls.CA_CERT).read_bytes()
    old_leaf = load_chain(tls.tls_folder(data_dir) / tls.SERVER_CERT)[0]
    late = old_leaf.not_valid_after_utc - dt.timedelta(days=tls.RENEW_DAYS - 1)
    renewed = make(data_dir, now=late)
    new_leaf, ca = load_chain(renewed.certfile)
    assert new_leaf.serial_number != old_leaf.serial_number and new_leaf.not_valid_after_utc > late + dt.timedelta(days=300)
    assert (tls.tls_folder(data_dir) / tls.CA_CERT).read_bytes() == ca_before  # phones keep trusting it
    verifier(ca, x509.DNSName("hearth.local"), now=late).verify(new_leaf, [])


def test_a_new_address_from_the_router_gets_a_new_certificate(data_dir):
    make(data_dir)
    old_leaf = load_chain(tls.tls_folder(data_dir) / tls.SERVER_CERT)[0]
    renewed = make(data_dir, addresses=[*ADDRESSES, "192.168.1.77"])
    new_leaf, ca = load_chain(renewed.certfile)
    assert new_leaf.serial_number != old_leaf.serial_number
    verifier(ca, x509.IPAddress(ipaddress.ip_address("192.168.1.77"))).verify(new_leaf, [])


def test_the_ca_cannot_vouch_for_any_other_site(data_dir):
    """Name constraints: a copy of ca.key cannot impersonate a bank or a mail provider to a phone that trusts it."""
    make(data_dir)
    folder = tls.tls_folder(data_dir)
    ca_key = serialization.load_pem_private_key((folder / tls.CA_KEY).read_bytes(), password=None)
    ca = tls.ca_certificate(data_dir)
    for name in (["mail.example.com"], ["hearth.local", "bank.example"]):
        key = ec.generate_private_key(ec.SECP256R1())
        forged = tls._server_certificate(key, ca_key, ca, name, [], NOW)
        with pytest.raises(VerificationError):
            verifier(ca, x509.DNSName(name[-1])).verify(forged, [])
    forged = tls._server_certificate(ec.generate_private_key(ec.SECP256R1()), ca_key, ca, [], ["8.8.8.8"], NOW)
    with pytest.raises(VerificationError):
        verifier(ca, x509.IPAddress(ipaddress.ip_address("8.8.8.8"))).verify(forged, [])


def test_a_renamed_machine_keeps_its_dot_local_name_not_the_new_bare_one(data_dir, monkeypatch):
    make(data_dir)
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "den")
    leaf, ca = load_chain(make(data_dir, names=["localhost", "den", "den.local"]).certfile)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "den.local"]
    verifier(ca, x509.DNSName("den.local")).verify(leaf, [])


def test_only_what_the_ca_may_vouch_for_goes_into_the_certificate(data_dir, monkeypatch):
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "Hearth.lan")
    monkeypatch.setattr(tls, "local_addresses", lambda: ["192.168.1.23", "fd00::2", "fe80::1%eth0", "203.0.113.5"])
    names, addresses = tls.machine_names("0.0.0.0", "hearth.example")
    assert names == ["localhost", "hearth", "hearth.local", "hearth.example"]
    assert addresses == ["127.0.0.1", "::1", "192.168.1.23", "fd00::2", "fe80::1", "203.0.113.5"]
    assert tls.machine_names("10.0.0.4")[1][-1] == "10.0.0.4"
    leaf = load_chain(make(data_dir, names, addresses).certfile)[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "hearth", "hearth.local"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == \
        ["127.0.0.1", "::1", "192.168.1.23", "fd00::2", "fe80::1"]


@pytest.mark.parametrize("mode, host, proxies, ca_exists, has_members, wanted", [
    ("off", "0.0.0.0", 0, True, False, False),
    ("on", "127.0.0.1", 0, False, True, True),
    ("auto", "0.0.0.0", 0, False, False, True),    # a new server on the home network
    ("auto", "0.0.0.0", 0, False, True, False),    # an upgrade: the phones' http bookmarks keep working
    ("auto", "0.0.0.0", 0, True, True, True),      # turned on once: stays on
    ("auto", "127.0.0.1", 0, True, False, False),  # this machine only: nothing crosses a network
    ("auto", "::1", 0, False, False, False),
    ("auto", "0.0.0.0", 1, False, False, False),   # a proxy in front does TLS
])
def test_when_https_is_served(data_dir, mode, host, proxies, ca_exists, has_members, wanted):
    config = settings.load(env={}, flags={"data_dir": str(data_dir), "host": host, "server.https": mode,
                                          "server.proxies": proxies})
    if ca_exists:
        make(data_dir)
    assert tls.https_wanted(config, has_members) is wanted


def test_the_https_settings_refuse_nonsense(data_dir):
    with pytest.raises(settings.ConfigError) as refused:
        settings.load(env={"HEARTHSIDE_SERVER__HTTPS": "yes", "HEARTHSIDE_SERVER__PROXIES": "-1"})
    assert "server.https: expected one of auto, on, off, got 'yes'" in str(refused.value)
    assert "server.proxies: expected a whole number from 0 to 5, got '-1'" in str(refused.value)


def test_a_bare_yaml_on_or_off_means_the_word(tmp_path):
    for word in ("on", "off", "auto"):
        (tmp_path / "config.yaml").write_text(f"server:\n  https: {word}\n")
        assert settings.load(tmp_path / "config.yaml", env={})["server.https"] == word


def test_the_ios_profile_holds_the_public_certificate_only(data_dir):
    make(data_dir)
    ca = tls.ca_certificate(data_dir)
    profile = plistlib.loads(tls.mobileconfig(ca))
    (payload,) = profile["PayloadContent"]
    assert payload["PayloadType"] == "com.apple.security.root"
    assert x509.load_der_x509_certificate(payload["PayloadContent"]) == ca
    assert tls.mobileconfig(ca) == tls.mobileconfig(ca)  # installing it again replaces, never adds
    assert b"PRIVATE KEY" not in tls.mobileconfig(ca)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value.startswith("Hearthside home CA")


def test_spki_hash_is_chromiums_pin_format(data_dir):
    make(data_dir)
    ca = tls.ca_certificate(data_dir)
    pin = tls.spki_hash(ca)
    assert len(pin) == 44 and pin.endswith("=")


def test_a_server_serving_https_renews_daily_and_a_plain_one_has_no_such_job(hs):
    assert [job for job in tls.renewal_jobs(hs)] == []
    names, addresses = tls.machine_names(hs.config["host"])
    year_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=tls.SERVER_DAYS - 10)
    hs.certificates = tls.ensure_certificates(hs.config.data_dir, names, addresses, now=year_ago)
    old_leaf = load_chain(hs.certificates.certfile)[0]
    (job,) = tls.renewal_jobs(hs)
    assert job.id == "core.tls_renew" and job.cron and not job.catch_up
    job.func(hs)
    new_leaf = load_chain(hs.certificates.certfile)[0]
    assert new_leaf.serial_number != old_leaf.serial_number
    assert new_leaf.not_valid_after_utc > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=300)


def test_the_ca_key_never_leaves_the_box_in_a_backup(app, data_dir, run_here, tmp_path):
    make(data_dir)
    out = tmp_path / "bundle.hsb"
    assert run_here("backup", "--data-dir", data_dir, "--out", out).returncode == 0
    with zipfile.ZipFile(out) as bundle:
        names = bundle.namelist()
        assert "manifest.json" in names  # a real bundle, keys of its own included (secret_key)
        assert not [name for name in names if "tls" in name or name.endswith((".key", ".crt"))
                    and name != "matcher.key"], names
        assert not any(b"PRIVATE KEY" in bundle.read(name) for name in names)
