"""Charts for plugins' pages and answers: the core's Jinja macros, called from Python.

The drawing is ``macros/charts.html`` (shipped by the web shell, named here, not
imported: like ``member.html``); a plugin template imports it directly, and a
plugin's Python code - a page that passes a finished chart, an API answer that
is an SVG image - calls :func:`line_chart`. Both draw the same SVG, coloured by
the theme's custom properties, so no plugin builds SVG by string concatenation.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, get_template_attribute
from markupsafe import Markup

CHARTS = "macros/charts.html"


def line_chart(**options) -> Markup:
    """``macros/charts.html``'s ``line_chart`` with these options, as Markup (needs an app context).

    With ``standalone=True`` the SVG carries its own style sheet - the rules of
    ``/static/charts.css`` and the theme's colours, light and dark - for an
    answer served as ``image/svg+xml``, which cannot read the page's styles.
    """
    if options.get("standalone"):
        options["rules"] = Markup((Path(current_app.static_folder) / "charts.css").read_text(encoding="utf-8"))
    return Markup(str(get_template_attribute(CHARTS, "line_chart")(**options)).strip())
