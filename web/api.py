"""The core's REST API (``/api/v1``). Plugins add their own blueprints."""

from flask import Blueprint, jsonify

from hearthside import __version__

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.get("/health")
def health():
    """Liveness for tablets, scripts and ``hearthside serve``'s own start check."""
    return jsonify({"status": "ok", "version": __version__})
