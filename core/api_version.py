"""The plugin API's version, the ranges plugins declare, and hook deprecation.

A plugin says which versions of the plugin API it was written for with one
attribute, read before it is registered::

    HEARTHSIDE_API = ">=1.0,<2"

A range is a PEP 440 version specifier, read by ``packaging`` (what pip
uses): comma-separated clauses, each an operator (``>=``, ``>``, ``<=``,
``<``, ``==``, ``!=``, ``~=``) and a version; ``==1.*`` and ``!=1.*`` match by
prefix and ``~=1.2`` means ``>=1.2,<2``. A range that cannot be read is a
:class:`ValueError` that names the clause.

A hook is deprecated by declaring its spec with :func:`deprecated_hookspec`
instead of ``@hookspec``. pluggy then warns (its ``warn_on_impl``) whenever a
plugin implementing it is registered; the plugin manager names the plugin in
that warning, logs it and shows it in ``hearthside plugins``.
"""

from __future__ import annotations

import pluggy
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from . import PLUGIN_API_VERSION

# What a plugin that declares nothing is taken to support: the API it was
# necessarily written against (1.x, the first versioned one). From 2.0 on, such
# a plugin is refused like any other plugin outside its range.
IMPLICIT_RANGE = ">=1.0,<2"

EXAMPLE = '">=1.0,<2"'


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.2"`` -> ``(1, 2, 0)``; a ValueError for anything but one to three numbers."""
    try:
        version = Version(str(text).strip())
    except InvalidVersion:
        version = None
    if version is None or len(version.release) > 3 or version.epoch or version.local \
            or version.pre or version.post or version.dev:
        raise ValueError(f"{str(text).strip()!r} is not a version like 1.0")
    return (version.release + (0, 0))[:3]  # type: ignore[return-value]


class ApiRange:
    """A parsed version range such as ``>=1.0,<2``; ``version in api_range`` tests it."""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{text!r} is not a version range like {EXAMPLE}")
        self.text = text.strip()
        for part in self.text.split(","):
            self._check(part.strip())
        self.specifiers = SpecifierSet(self.text)

    def _check(self, part: str) -> None:
        """Each clause on its own, so the error names the one that cannot be read."""
        try:
            Specifier(part)
        except InvalidSpecifier:
            if part.endswith(".*") and not part.startswith(("==", "!=")):
                raise ValueError(f"{self.text!r}: '.*' goes only with == or != (in {part!r})") from None
            if part.startswith("~=") and "." not in part:
                raise ValueError(f"{self.text!r}: ~= needs a MAJOR.MINOR version, such as ~=1.0 (in {part!r})") \
                    from None
            raise ValueError(f"{self.text!r} is not a version range like {EXAMPLE} (cannot read {part!r})") from None

    def __contains__(self, version: str | tuple[int, ...]) -> bool:
        text = version.strip() if isinstance(version, str) else ".".join(str(number) for number in version)
        parse_version(text)  # an API version is one to three numbers, or a ValueError
        return self.specifiers.contains(text)

    def __str__(self) -> str:
        return self.text


class HookDeprecationWarning(DeprecationWarning):
    """Warned when a plugin implements a deprecated hook; carries what to tell its author."""

    def __init__(self, hook: str, since: str, removed_in: str, advice: str, plugin: str | None = None):
        self.hook, self.since, self.removed_in, self.advice, self.plugin = hook, since, removed_in, advice, plugin
        who = f"plugin {plugin!r} implements" if plugin else "implements"
        super().__init__(f"{who} {hook}, deprecated since plugin API {since} and removed in plugin API "
                         f"{removed_in}: {advice}")

    def for_plugin(self, plugin: str) -> "HookDeprecationWarning":
        """The same warning, naming the plugin (pluggy's own cannot know it)."""
        return HookDeprecationWarning(self.hook, self.since, self.removed_in, self.advice, plugin)


_hookspec = pluggy.HookspecMarker("hearthside")  # the same project as hookspecs.hookspec


def deprecated_hookspec(*, since: str, removed_in: str, advice: str, firstresult: bool = False):
    """Declare a hookspec as deprecated: use it in place of ``@hookspec``.

    ``since`` is the API version that deprecated it, ``removed_in`` the major
    version that will remove it (policy: at least one minor version of
    warnings first, removal only in a new major), ``advice`` what to do
    instead. Checked here so a spec cannot break the policy by mistake.
    """
    start, end = parse_version(since), parse_version(removed_in)
    if end[0] <= start[0] or end[1:] != (0, 0):
        raise ValueError(f"a hook deprecated in {since} can only be removed in a later major version "
                         f"such as {start[0] + 1}.0, not {removed_in}")

    def mark(function):
        warning = HookDeprecationWarning(function.__name__, since, removed_in, advice)
        return _hookspec(firstresult=firstresult, warn_on_impl=warning)(function)
    return mark


__all__ = ["PLUGIN_API_VERSION", "IMPLICIT_RANGE", "ApiRange", "HookDeprecationWarning", "deprecated_hookspec",
           "parse_version"]
