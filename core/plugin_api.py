"""Everything a plugin needs, in one import.

Built-in plugins use only what is here (and the hooks in ``hookspecs``); if a
plugin needs more, the API is missing a hook - add it here, documented.

    from hearthside.plugin_api import hookimpl, emit, api_error, get_db

What is here, and the hooks, make up the plugin API, versioned as
``PLUGIN_API_VERSION`` ("MAJOR.MINOR"); a plugin declares the range it
supports with ``HEARTHSIDE_API = ">=1.0,<2"`` in its module. docs/hooks.md
lists every name (a test keeps that list equal to ``__all__``).
"""

from . import PLUGIN_API_VERSION

from .app import Hearthside
from .request_context import current_hs, get_db
from .config import Setting
from .errors import APIError, api_error, log_exception  # log_exception: never an exception's message
from .errors import DomainError, NotFound, Conflict, Forbidden, Invalid, ConsentRequired, Unavailable  # raise from domain code; the core answers them
from .storage import row_or_none, one_row  # row_or_none(db, sql, params) -> row or None; one_row(db, sql, params, NotFound(...)) -> row or raise
from .events import Event, emit
from .events import EventType  # EventType(name, visibility, description): declare each type you emit (hearthside_event_types)
from .hookspecs import hookimpl
from . import layout  # hearthside_migrations = layout.migrations(package), .blueprints, .export, .forget: the standard hooks of the one plugin layout (1.4)
from .scheduler import ScheduledJob
from .hook_types import NavItem, DashboardCard, FeedLine, CalendarEntry  # what hooks hand over (1.3): the menu, the wall's cards and their lines, a plan for the calendar
from .hook_types import Notification  # Notification(kind, members, detail, link): what hearthside_notifications answers (1.5)
from .auth import Principal, require  # @require(device=False): members only (the wall too if device=True)
from .consent import Scope, is_active, require_active  # declare scopes; the one consent check (403 consent_required)
from .declare import declare, Body, Query  # @declare(summary, body=Model, query=Model, responses={...}): a route's inputs, checked and described
from .declare import Text, Whole, Many, Day, Moment, UNSET, UnsetType  # field types of a Body/Query: the one text rule, bounded numbers, dates
from .declare import answer, error, obj, ref  # describe a route's answers: answer("The note", schema), error("No such note")
from .inputs import json_body  # the raw JSON object, or a clear 400: only for a body no model can declare
from .inputs import EARLIEST_DATE, LATEST_DATE  # the dates a member can mean; outside them date arithmetic overflows
from .inputs import text_value  # the one rule for free text: NFC, trimmed, no control or bidi override characters
from .links import public_url  # an absolute URL of this server for a path (server.base_url, or a host it answers on)
from .accounts import couple_members  # the couple's current members (rows; use their "id")
from .accounts import get_member  # one member row by id (use "couple_id", "display_name"), or None
from .member_pages import member_page, render_member_page  # plugin pages: @member_page view(viewer), render_member_page(template, viewer, **context) -> extends "member.html"
from .accounts import get_couple  # the couple row: id, name, time_zone (IANA) - plugins schedule in it
from .charts import line_chart  # line_chart(title=, levels=, series=, ...) -> Markup: the core's SVG chart macro (macros/charts.html), themed, dark mode included
from .page_headers import CONTENT_SECURITY_POLICY  # what every HTML page is sent with (the core adds it and the other page headers for you)
from .consent import is_granted, require_granted  # who="author" scopes: the author's own grant (403 consent_required)
from .pause import start as start_pause  # start_pause(db, couple_id, member_id, ends_at: aware datetime) -> state: the core pause on every device (emits pause.started); call inside or outside db.atomic()
from .datafolder import write_private  # write_private(path, data: bytes): a file of your own in the data folder (db.data_dir), 0600 and atomic (1.4)
from .datafolder import DataFileDamaged  # raise (a subclass) from a start-up hook for a damaged file of your own: serve names it and the newest backup
from .clock import utc_now  # utc_now() -> now (aware, UTC), the one clock tests move; utc_now(hs) in a job: the scheduler's
from .pause import current as pause_state  # pause_state(db, couple_id) -> {"active": bool, ...}: is the couple paused right now

__all__ = [
    "APIError", "Event", "EventType", "Hearthside", "ScheduledJob", "Setting",
    "api_error", "log_exception", "current_hs", "emit", "get_db", "hookimpl",
    "Principal", "require", "Scope", "is_active", "require_active", "json_body", "EARLIEST_DATE", "LATEST_DATE", "text_value", "public_url", "couple_members",
    "member_page", "render_member_page",
    "get_member",
    "get_couple", "CONTENT_SECURITY_POLICY", "line_chart",
    "is_granted", "require_granted",
    "start_pause", "pause_state",
    "DataFileDamaged", "write_private",
    "PLUGIN_API_VERSION",
    "DomainError", "NotFound", "Conflict", "Forbidden", "Invalid", "ConsentRequired", "Unavailable",
    "row_or_none", "one_row",
    "utc_now",
    "NavItem", "DashboardCard", "FeedLine", "CalendarEntry", "Notification",
    "declare", "Body", "Query", "Text", "Whole", "Many", "Day", "Moment", "UNSET", "UnsetType",
    "answer", "error", "obj", "ref",
    "layout",
]
