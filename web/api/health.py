"""``GET /api/v1/health``: liveness for tablets, scripts and the start check."""

from flask import jsonify

from hearthside import __version__

from . import api


@api.get("/health")
def health():
    return jsonify({"status": "ok", "version": __version__})
