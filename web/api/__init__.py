"""The core's REST API under ``/api/v1``: one module per concept.

Each module adds its routes to the one ``api`` blueprint. Plugins register
blueprints of their own through ``hearthside_blueprints``.
"""

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")

from . import accounts, admin, consent, dashboard, devices, events, health, member_data, notifications, pause, tokens  # noqa: E402,F401  (modules attach their routes)
from .. import openapi  # noqa: E402,F401  (GET /api/v1/openapi.json, built from the URL map)
