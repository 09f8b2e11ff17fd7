"""Wall-screen devices: create with a pairing code, claim, list, revoke."""

from __future__ import annotations

from flask import jsonify, request

from hearthside import devices, inputs
from hearthside.request_context import current_hs, get_db
from hearthside.auth import require
from hearthside.errors import NotFound, api_error

from . import api


@api.post("/devices")
@require()
def create_device(principal):
    """``{"name"}`` -> 201 ``{"id", "pairing_code", "expires_at"}``; the code is shown only now."""
    name = inputs.text(inputs.json_body(), "name", max_length=60)
    hs = current_hs()
    return jsonify(devices.create(get_db(), principal, name, hs.config["auth.pairing_minutes"])), 201


@api.post("/devices/claim")
def claim_device():
    """``{"pairing_code"}`` -> 201 ``{"token"}`` for the wall; no sign-in needed.

    Failed claims count against the caller's address like failed sign-ins, so
    pairing codes cannot be guessed by brute force.
    """
    code = inputs.text(inputs.json_body(), "pairing_code", max_length=40)
    limiter = current_hs().login_limiter
    key = f"pair:{request.remote_addr}"
    wait = limiter.retry_after(key)
    if wait:
        api_error(429, "too_many_attempts", f"Too many wrong pairing codes. Try again in {wait} seconds.",
                  {"Retry-After": str(wait)})
    try:
        row, token = devices.claim(get_db(), code)
    except NotFound:
        limiter.failed(key)
        raise
    limiter.succeeded(key)
    return jsonify({"token": token, "device": {"id": row["id"], "name": row["name"]}}), 201


@api.get("/devices")
@require()
def list_devices(principal):
    return jsonify({"devices": devices.list_for(get_db(), principal.couple_id)})


@api.delete("/devices/<int:device_id>")
@require()
def revoke_device(principal, device_id):
    """Revoke a device and its tokens; its open screens are disconnected at once."""
    return jsonify(devices.revoke(get_db(), principal, device_id))
