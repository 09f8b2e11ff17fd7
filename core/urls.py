"""URL rules whose URL builders are compiled, and whose paths are parsed, once per process, not once per app.

Werkzeug turns every route into two small Python functions that build its
URLs (``url_for``), writing and compiling their source each time a rule is
added to an app. For Hearthside's ~150 routes that is two thirds of building
an app (about 45 ms of 66 here, several times that on a Pi), and a test
suite builds the app hundreds of times. The functions depend only on the
rule's shape - its static and variable parts and the names of its defaults -
so every rule of the same shape can share them; they reach the rule itself
through their bound ``self``.

Parsing a rule's path into the parts the matcher uses (``_parse_rule``) was
most of the rest: the parts depend only on the path and the converters the
app names, so they are kept too, and a rule of the same path gets them with
converters of its own.

If Werkzeug changes these private methods, the rule falls back to compiling
its own builders: slower to build, never wrong.
"""

from __future__ import annotations


from werkzeug.routing import Rule
from werkzeug.routing.rules import _part_re, parse_converter_args

_BUILDERS: dict[tuple, object] = {}
_PARSED: dict[tuple, tuple] = {}


class SharedBuilderRule(Rule):
    """A Werkzeug rule that reuses the compiled URL builders of rules of the same shape, and the parsed parts of
    rules of the same path."""

    def _parse_rule(self, rule: str):
        key = (rule, tuple(self.map.converters.items()))
        parsed = _PARSED.get(key)
        if parsed is None:
            trace_start = len(self._trace)
            parts = list(super()._parse_rule(rule))
            variables = [(match["variable"], match["converter"] or "default", match["arguments"] or "")
                         for match in _part_re.finditer(rule) if match["variable"] is not None]
            parsed = _PARSED[key] = (parts, self._trace[trace_start:], variables)
            return parts
        parts, trace, variables = parsed
        self._trace.extend(trace)
        for variable, converter, arguments in variables:
            c_args, c_kwargs = parse_converter_args(arguments)
            self._converters[variable] = self.get_converter(variable, converter, c_args, c_kwargs)
            self.arguments.add(variable)
        return parts

    def _compile_builder(self, append_unknown: bool = True):
        trace = getattr(self, "_trace", None)
        defaults = self.defaults or {}
        if trace is None or (defaults and any(dynamic and name in defaults for dynamic, name in trace)):
            # A default that fills a variable part is baked into the builder as text: keep it per rule.
            return super()._compile_builder(append_unknown)
        key = (tuple(trace), tuple(defaults), append_unknown)
        builder = _BUILDERS.get(key)
        if builder is None:
            builder = _BUILDERS[key] = super()._compile_builder(append_unknown)
        return builder
