"""``GET /api/v1/health``: liveness for tablets, scripts and the start check."""

from flask import jsonify

from hearthside import PLUGIN_API_VERSION, __version__
from hearthside.declare import STRING, answer, declare, obj
from hearthside.request_context import current_hs

from . import api


@api.get("/health")
@declare("Is the server up? (degraded: an installed plugin failed; its name is listed)", tags=["server"],
         public=True, responses={"200": answer("Up", obj({
             "status": {"type": "string", "enum": ["ok", "degraded"]}, "version": STRING, "plugin_api": STRING,
             "safe_mode": {"type": "boolean"}, "failed_plugins": {"type": "array", "items": STRING}},
             ["status", "version"]))})
def health():
    """``ok``, or ``degraded`` while an installed plugin has failed (names only: reasons are for the admin).

    safe_mode: only built-in plugins run (`hearthside serve --safe-mode`); a start check can tell.
    """
    hs = current_hs()
    failed = hs.plugins.failed()
    return jsonify({"status": "degraded" if failed else "ok", "version": __version__,
                    "plugin_api": PLUGIN_API_VERSION, "safe_mode": hs.config["safe_mode"],
                    "failed_plugins": failed})
