"""Absolute links to this server, for what leaves the browser: QR codes, feed URLs.

A link that a phone scans or a calendar app subscribes to must lead back to
this server, never to wherever a request's ``Host`` header claimed it was.
A forged ``Host`` (``curl -H 'Host: evil.example'``, a DNS-rebinding page)
would otherwise put another machine's address into an invite QR code or a
calendar subscription, and whoever runs that machine would receive the invite
code or the feed secret. So links are built from ``server.base_url`` when it
is set (the right choice behind a reverse proxy or with a domain name), and
otherwise from the request's host only when the server really answers on it:
localhost, this machine's name (or ``name.local``), or an IP address of one
of its own interfaces. Any other host gets the server's own address.
"""

from __future__ import annotations

import ipaddress
import re
import socket

from flask import request

from .request_context import current_hs

WILDCARD_HOSTS = ("0.0.0.0", "::", "")
HOST_PATTERN = re.compile(r"^(?:(?P<name>[A-Za-z0-9.\-]+)|\[(?P<ip6>[0-9A-Fa-f:.]+)\])(?::[0-9]{1,5})?$")


def public_url(path: str) -> str:
    """``path`` (starting with ``/``) as an absolute URL of this server."""
    config = current_hs().config
    if config["server.base_url"]:
        return config["server.base_url"] + path
    host = request.host
    if not answers_on(host_name(host), config["host"]):
        host = own_host(config["host"], config["port"])
    return f"{request.scheme}://{host}{path}"


def host_name(host: str) -> str:
    """The name part of a ``Host`` header (``"[::1]:8321"`` -> ``"::1"``), or ``""`` if it is not a plain host.

    Only a name or address with an optional numeric port passes: anything
    else (``"localhost:80@evil.example"``, a slash) could turn the link into
    another machine's address.
    """
    match = HOST_PATTERN.match(host)
    if not match:
        return ""
    return (match.group("name") or match.group("ip6")).lower()


def answers_on(name: str, listen_host: str) -> bool:
    """Whether a request addressed to ``name`` (no port) can have reached a server listening on ``listen_host``."""
    if not name:
        return False
    if listen_host not in WILDCARD_HOSTS:
        return name == listen_host.strip("[]").lower() or (name == "localhost" and _is_loopback(listen_host))
    machine = socket.gethostname().lower()
    if name in ("localhost", machine, machine.split(".")[0] + ".local"):
        return True
    return _is_local_address(name)


def own_host(listen_host: str, port: int) -> str:
    """The server's own address for links when the request's host cannot be trusted."""
    if listen_host in WILDCARD_HOSTS:
        return f"{socket.gethostname().split('.')[0]}.local:{port}"
    return f"[{listen_host}]:{port}" if ":" in listen_host else f"{listen_host}:{port}"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def _is_local_address(name: str) -> bool:
    """An IP literal of one of this machine's interfaces: binding to it succeeds only then (nothing is sent)."""
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if address.is_loopback:
        return True
    if address.is_unspecified or address.is_multicast:
        return False
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((str(address), 0))
        except OSError:
            return False
    return True
