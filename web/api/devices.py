"""Wall-screen devices: create with a pairing code, claim, list, revoke."""

from __future__ import annotations

from flask import jsonify, request

from hearthside import devices
from hearthside.declare import INTEGER, STRING, TIMESTAMP, Body, Text, answer, declare, error, obj, ref
from hearthside.request_context import current_hs, get_db
from hearthside.auth import require
from hearthside.errors import NotFound, api_error

from . import api

TAGS = ["devices"]


class NewDevice(Body):
    name: Text(60)


class Claim(Body):
    pairing_code: Text(40)


@api.post("/devices")
@require()
@declare("Create a wall-screen device and its one-time pairing code", body=NewDevice, tags=TAGS,
         responses={"201": answer("The device and its code (shown only now)", obj(
             {"id": INTEGER, "name": STRING, "pairing_code": STRING, "expires_at": TIMESTAMP}, ["id", "pairing_code"]))})
def create_device(principal, body: NewDevice):
    """``{"name"}`` -> 201 ``{"id", "pairing_code", "expires_at"}``; the code is shown only now."""
    hs = current_hs()
    return jsonify(devices.create(get_db(), principal, body.name, hs.config["auth.pairing_minutes"])), 201


@api.post("/devices/claim")
@declare("A wall screen exchanges its pairing code for a device token", body=Claim, tags=TAGS, public=True,
         responses={"201": answer("The device token (dashboard scope only)", obj(
             {"token": STRING, "device": obj({"id": INTEGER, "name": STRING})}, ["token"])),
             "404": error("The code is unknown, used or expired"),
             "429": error("Too many wrong codes; see Retry-After")})
def claim_device(body: Claim):
    """``{"pairing_code"}`` -> 201 ``{"token"}`` for the wall; no sign-in needed.

    Failed claims count against the caller's address like failed sign-ins, so
    pairing codes cannot be guessed by brute force.
    """
    code = body.pairing_code
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
@declare("The couple's devices", tags=TAGS, responses={"200": answer("Devices", obj(
    {"devices": {"type": "array", "items": ref("Device")}}, ["devices"]))})
def list_devices(principal):
    return jsonify({"devices": devices.list_for(get_db(), principal.couple_id)})


@api.delete("/devices/<int:device_id>")
@require()
@declare("Revoke a device; its screens stop at once", tags=TAGS,
         responses={"200": answer("The device", ref("Device")), "404": error("No such device in your couple")})
def revoke_device(principal, device_id):
    """Revoke a device and its tokens; its open screens are disconnected at once."""
    return jsonify(devices.revoke(get_db(), principal, device_id))
