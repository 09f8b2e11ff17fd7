"""``/trust``: how a phone comes to trust this server's own certificate authority.

Reachable without signing in - a phone must trust the server before it can
sign in safely - and it offers the **public** certificate only, in the forms
each platform installs: an iOS / iPadOS configuration profile, a ``.crt``
(DER) for Android, Windows and macOS, and PEM for Linux and Firefox. The
CA's private key is never read here (``hearthside.tls`` keeps it in the data
folder, mode 0600).

The page shows the certificate's SHA-256 fingerprint, which ``hearthside
serve`` also prints when it starts: on a first visit the connection is not
trusted yet, so comparing the two is how a member knows the certificate came
from the Pi and not from someone else on the Wi-Fi.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from markupsafe import Markup

from hearthside import tls
from hearthside.links import public_url
from hearthside.request_context import current_hs

trust = Blueprint("trust", __name__)


def _ca():
    return tls.ca_certificate(current_hs().config.data_dir)


@trust.get("/trust")
def page():
    """The steps per platform, the QR code of this page and the fingerprint; or why there is nothing to trust."""
    import segno  # only this page and the pairing pages draw QR codes

    cert = _ca()
    if cert is None:
        return render_template("trust.html", ca=None)
    url = public_url("/trust")  # never the Host header as sent: see hearthside.links
    qr = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr", title="This page",
                                                dark="#2b2522", light="#fffdf9")
    return render_template("trust.html", ca=cert, url=url, qr=Markup(qr), fingerprint=tls.fingerprint(cert),
                           name=cert.subject.rfc4514_string(),
                           expires=cert.not_valid_after_utc.strftime("%d %B %Y"))


@trust.get("/trust/hearthside-ca.crt")
def ca_crt():
    """DER: what Android's "Install a certificate", Windows and macOS open."""
    return _download(tls.ca_der(_ca_or_404()), "application/x-x509-ca-cert", "hearthside-ca.crt")


@trust.get("/trust/hearthside-ca.pem")
def ca_pem():
    """PEM text: what Linux tools and Firefox's certificate manager import."""
    _ca_or_404()
    return _download(tls.ca_pem(current_hs().config.data_dir), "application/x-pem-file", "hearthside-ca.pem")


@trust.get("/trust/hearthside.mobileconfig")
def ca_mobileconfig():
    """An iOS / iPadOS profile: Safari hands it to Settings, which installs it."""
    return _download(tls.mobileconfig(_ca_or_404()), "application/x-apple-aspen-config", "hearthside.mobileconfig")


def _ca_or_404():
    cert = _ca()
    if cert is None:
        abort(404)
    return cert


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
