"""URL rules whose URL builders are compiled once per process, not once per app.

Werkzeug turns every route into two small Python functions that build its
URLs (``url_for``), writing and compiling their source each time a rule is
added to an app. For Hearthside's ~150 routes that is two thirds of building
an app (about 45 ms of 66 here, several times that on a Pi), and a test
suite builds the app hundreds of times. The functions depend only on the
rule's shape - its static and variable parts and the names of its defaults -
so every rule of the same shape can share them; they reach the rule itself
through their bound ``self``.

If Werkzeug changes this private method, the rule falls back to compiling
its own builders: slower to build, never wrong.
"""

from __future__ import annotations

from werkzeug.routing import Rule

_BUILDERS: dict[tuple, object] = {}


class SharedBuilderRule(Rule):
    """A Werkzeug rule that reuses the compiled URL builders of rules of the same shape."""

    def _compile_builder(self, append_unknown: bool = True):
        trace = getattr(self, "_trace", None)
        defaults = self.defaults or {}
        if trace is None or any(dynamic and name in defaults for dynamic, name in trace):
            # A default that fills a variable part is baked into the builder as text: keep it per rule.
            return super()._compile_builder(append_unknown)
        key = (tuple(trace), tuple(defaults), append_unknown)
        builder = _BUILDERS.get(key)
        if builder is None:
            builder = _BUILDERS[key] = super()._compile_builder(append_unknown)
        return builder
