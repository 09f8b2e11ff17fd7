"""HTTPS at home with no internet: a certificate authority of the house's own.

A Pi on the home Wi-Fi has no domain name a public authority would certify,
so on the first start with HTTPS on the server makes a small certificate
authority (CA) in ``<data_dir>/tls/`` and signs a server certificate with it
for the machine's names and addresses. Each phone trusts the CA once (the
``/trust`` page); from then on every certificate the Pi makes for itself is
trusted too, so a renewal or a new address from the router changes nothing on
the phones.

* ``ca.key`` - the CA's private key: mode 0600, never served, never put in a
  backup bundle (a phone that trusts the CA trusts whoever holds this key).
* ``ca.crt`` - the CA's certificate, the public part the phones install.
* ``server.key`` / ``server.crt`` - the server's key and its chain (server
  certificate, then the CA's), handed to gunicorn; renewed on start before it
  expires, or when the machine has a name or address it does not cover.

The CA is **name-constrained**: it can vouch only for ``localhost``, names
ending in ``.local``, the machine's own name and private (LAN) addresses. A
phone that installed it cannot be fooled by it about any other site - not the
bank, not a mail provider - even by someone who copies ``ca.key`` off the Pi.
Keys are ECDSA P-256: fast on a Pi and accepted by iOS, Android and desktops.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import logging
import plistlib
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .datafolder import FOLDER_MODE, write_private
from .scheduler import ScheduledJob

log = logging.getLogger(__name__)

TLS_FOLDER = "tls"
CA_KEY, CA_CERT, SERVER_KEY, SERVER_CERT = "ca.key", "ca.crt", "server.key", "server.crt"
CA_DAYS = 3650
# Apple accepts at most 825 days for any server certificate; 397 is what public CAs issue.
SERVER_DAYS = 397
RENEW_DAYS = 30
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# What the CA may vouch for: loopback, link-local and the private (LAN) ranges.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
    "::1/128", "fc00::/7", "fe80::/10"))


@dataclass(frozen=True)
class Certificates:
    """The files gunicorn serves with, and the CA's fingerprint to log."""

    certfile: Path
    keyfile: Path
    ca_fingerprint: str


# -- when to serve HTTPS ----------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether a listen address lets only this machine connect (nothing crosses a network)."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def https_wanted(config, has_members: bool) -> bool:
    """Whether ``hearthside serve`` serves HTTPS, from ``server.https`` (docs/security.md, "HTTPS at home").

    ``auto`` serves HTTPS when the server listens on the network, is not behind
    a trusted proxy (which does TLS itself), and either the CA already exists
    or nobody has signed up yet - so an upgrade never breaks the phones' and
    the wall's http bookmarks on its own; ``server.https: on`` does that step.
    """
    mode = config["server.https"]
    if mode != "auto":
        return mode == "on"
    if is_loopback(config["host"]) or config["server.proxies"]:
        return False
    return (tls_folder(config.data_dir) / CA_CERT).exists() or not has_members


def serving_certificates(hs) -> Certificates | None:
    """The certificates ``hearthside serve`` uses, made or renewed now; None to serve plain http."""
    with hs.storage.connection() as db:
        has_members = bool(db.execute("SELECT EXISTS (SELECT 1 FROM members)").fetchone()[0])
    if not https_wanted(hs.config, has_members):
        return None
    return renew(hs)


def renew(hs) -> Certificates:
    """Make or renew the server certificate for the names and addresses the machine has now."""
    base_url_host = urlsplit(hs.config["server.base_url"]).hostname or ""
    names, addresses = machine_names(hs.config["host"], base_url_host)
    return ensure_certificates(hs.config.data_dir, names, addresses)


def renewal_jobs(hs) -> list[ScheduledJob]:
    """A daily renewal while serving HTTPS, so a Pi that runs for a year without a restart stays trusted.

    gunicorn reads the certificate files for every new connection, so a
    renewed certificate (or one for an address the router handed out since)
    is served from the next connection on, without a restart.
    """
    if hs.certificates is None:
        return []
    return [ScheduledJob("core.tls_renew", renew, cron="17 4 * * *", catch_up=False)]


# -- names and addresses ----------------------------------------------------------


def tls_folder(data_dir: Path) -> Path:
    return Path(data_dir) / TLS_FOLDER


def local_addresses() -> list[str]:
    """This machine's LAN addresses, as ``hostname -I`` lists them (reads interfaces; sends nothing)."""
    try:
        return subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=2).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return []


def machine_names(listen_host: str, base_url_host: str = "") -> tuple[list[str], list[str]]:
    """Names and IP addresses a phone may use to reach this machine; the CA's constraints then pick those it may vouch for."""
    short = socket.gethostname().split(".")[0].lower()
    names = ["localhost", short, f"{short}.local", base_url_host.lower()]
    addresses = []
    for candidate in ("127.0.0.1", "::1", *local_addresses(), listen_host.strip("[]")):
        try:
            addresses.append(str(ipaddress.ip_address(candidate.split("%")[0])))
        except ValueError:
            if candidate not in ("", "0.0.0.0", "::"):
                names.append(candidate.lower())
    addresses = [ip for ip in addresses if not ipaddress.ip_address(ip).is_unspecified]
    return [name for name in dict.fromkeys(names) if name], list(dict.fromkeys(addresses))


# -- the CA and the server certificate --------------------------------------------


def ensure_certificates(data_dir: Path, names: list[str], addresses: list[str],
                        now: dt.datetime | None = None) -> Certificates:
    """Make the CA on first use and a server certificate when the current one will not do; reuse both otherwise."""
    now = now or dt.datetime.now(dt.timezone.utc)
    folder = tls_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    ca_key, ca_cert = _load_or_make_ca(folder, now)
    names, addresses = _permitted(ca_cert, names, addresses)
    certfile, keyfile = folder / SERVER_CERT, folder / SERVER_KEY
    reason = _why_renew(certfile, keyfile, ca_cert, names, addresses, now)
    if reason:
        log.info("HTTPS: making a new server certificate (%s)", reason)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _server_certificate(key, ca_key, ca_cert, names, addresses, now)
        write_private(keyfile, _private_pem(key))
        write_private(certfile, cert.public_bytes(serialization.Encoding.PEM) + ca_pem(data_dir))
    return Certificates(certfile, keyfile, fingerprint(ca_cert))


def _load_or_make_ca(folder: Path, now: dt.datetime):
    key_path, cert_path = folder / CA_KEY, folder / CA_CERT
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hearthside at home"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Hearthside home CA ({socket.gethostname().split('.')[0]})"),
    ])
    short = socket.gethostname().split(".")[0].lower()
    permitted = [x509.DNSName(name) for name in dict.fromkeys(("localhost", "local", short))]
    permitted += [x509.IPAddress(network) for network in PRIVATE_NETWORKS]
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # The key first: a CA certificate without its key would make every later start fail.
    write_private(key_path, _private_pem(key))
    write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    log.info("HTTPS: made this server's certificate authority (%s)", cert_path)
    return key, cert


def _permitted(ca_cert, names: list[str], addresses: list[str]) -> tuple[list[str], list[str]]:
    """What the CA may vouch for: a machine renamed since the CA was made keeps ``.local``, not its bare name."""
    trees = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value.permitted_subtrees
    bases = [tree.value for tree in trees if isinstance(tree, x509.DNSName)]
    networks = [tree.value for tree in trees if isinstance(tree, x509.IPAddress)]
    return ([name for name in names if any(name == base or name.endswith("." + base) for base in bases)],
            [ip for ip in addresses if any(ipaddress.ip_address(ip) in network for network in networks)])


def _why_renew(certfile: Path, keyfile: Path, ca_cert, names, addresses, now: dt.datetime) -> str | None:
    if not (certfile.exists() and keyfile.exists()):
        return "none yet"
    cert = x509.load_pem_x509_certificate(certfile.read_bytes())
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return "signed by another authority"
    if cert.not_valid_after_utc - now < dt.timedelta(days=RENEW_DAYS):
        return f"it expires on {cert.not_valid_after_utc:%Y-%m-%d}"
    covered = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    missing = set(names) - set(covered.get_values_for_type(x509.DNSName))
    missing |= {ip for ip in addresses
                if ipaddress.ip_address(ip) not in covered.get_values_for_type(x509.IPAddress)}
    if missing:
        return "new names or addresses: " + ", ".join(sorted(missing))
    return None


def _server_certificate(key, ca_key, ca_cert, names, addresses, now: dt.datetime):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "localhost")])
    alt_names = [x509.DNSName(name) for name in names] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in addresses]
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _private_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


# -- the public part, for /trust --------------------------------------------------


def ca_pem(data_dir: Path) -> bytes:
    """The CA certificate (public) as PEM; FileNotFoundError when this server has no CA."""
    return (tls_folder(data_dir) / CA_CERT).read_bytes()


def ca_certificate(data_dir: Path):
    """The CA certificate, or None when HTTPS was never turned on here."""
    try:
        return x509.load_pem_x509_certificate(ca_pem(data_dir))
    except FileNotFoundError:
        return None


def ca_der(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def fingerprint(cert) -> str:
    """SHA-256 of the certificate, in the colon-separated hex phones and browsers show."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def spki_hash(cert) -> str:
    """Base64 SHA-256 of the public key: what Chromium's ``--ignore-certificate-errors-spki-list`` takes."""
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def mobileconfig(cert) -> bytes:
    """An iOS / macOS configuration profile that installs the CA (public certificate only).

    Unsigned: iOS shows it as "Not Verified", which is why /trust shows the
    fingerprint to compare. The identifiers derive from the certificate, so
    installing the profile again replaces it instead of adding a second one.
    """
    der = ca_der(cert)
    digest = hashlib.sha256(der).digest()
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    payload = {
        "PayloadType": "com.apple.security.root", "PayloadVersion": 1, "PayloadContent": der,
        "PayloadIdentifier": f"home.hearthside.ca.{digest[:8].hex()}",
        "PayloadUUID": str(uuid.UUID(bytes=digest[:16])), "PayloadDisplayName": common,
        "PayloadCertificateFileName": "hearthside-ca.cer",
    }
    profile = {
        "PayloadType": "Configuration", "PayloadVersion": 1, "PayloadContent": [payload],
        "PayloadIdentifier": f"home.hearthside.profile.{digest[:8].hex()}",
        "PayloadUUID": str(uuid.UUID(bytes=digest[16:32])), "PayloadDisplayName": "Hearthside at home",
        "PayloadDescription": "Lets this device trust your Hearthside server at home (and nothing else).",
        "PayloadRemovalDisallowed": False,
    }
    return plistlib.dumps(profile)
