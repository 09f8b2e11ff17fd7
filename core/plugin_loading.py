"""Finding plugins and registering them: the gates a plugin passes before its hooks are called.

Split from :mod:`hearthside.plugin_manager`, which calls the hooks; the
:class:`~hearthside.plugin_manager.PluginManager` is built on
:class:`PluginLoader` here, and what this part needs of it (``_fail``,
``_warn``, ``_call_one``) is the manager's.

Before a plugin is registered it must pass three gates, each failing it with
a reason that ``hearthside plugins`` shows:

* its name is its own: a plugin outside Hearthside's own distribution that
  takes a built-in's name, or two installed plugins with one name, is refused
  (a built-in is never silently replaced);
* it is selected: turned on in the config, listed in ``plugins.allow`` when
  that is set, and built in when the server runs in safe mode (otherwise it is
  *disabled*, with the reason, and not even imported);
* it supports this plugin API: its ``HEARTHSIDE_API`` range contains
  :data:`hearthside.PLUGIN_API_VERSION` (see :mod:`hearthside.api_version`).

Each plugin's event types (``hearthside_event_types``) are collected as it is
registered, into :attr:`~hearthside.plugin_manager.PluginManager.event_types`; a declaration that breaks
the rule (:class:`hearthside.events.EventTypes`) fails the plugin.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import warnings
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Callable, Iterable

import pluggy

from .api_version import IMPLICIT_RANGE, ApiRange, HookDeprecationWarning
from .timebox import Overran

ENTRY_POINT_GROUP = "hearthside.plugins"
CORE_PLUGIN = "core"
DISTRIBUTION = "hearthside"  # the distribution whose entry points are the built-ins
API_ATTRIBUTE = "HEARTHSIDE_API"  # the module (or class) attribute holding a plugin's supported range
_NO_ANSWER = object()  # an implementation that raised (or answered nonsense): distinct from None
RESERVED_NAMES = {"allow": "plugins.allow is the setting that lists the plugins allowed to load"}


@dataclass
class PluginInfo:
    """What ``hearthside plugins`` and the admin page show about one plugin."""

    name: str
    version: str
    enabled: bool = True
    state: str = "loaded"  # loaded, failed or disabled
    error: str | None = None
    module: Any = None
    builtin: bool = False
    api: str | None = None  # the plugin API range it declared, None when it declared none
    notes: list[str] = field(default_factory=list)  # warnings, or why it is disabled

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "enabled": self.enabled,
                "state": self.state, "error": self.error, "builtin": self.builtin, "api": self.api,
                "notes": list(self.notes)}


@dataclass
class Candidate:
    """A plugin found but not yet registered: a name, a version and a loader.

    ``builtin`` is true only for the core and the plugins shipped in
    ``hearthside.plugins`` by Hearthside's own distribution; ``origin`` says
    where it came from, for messages (``hearthside-candles 1.2 (hs_candles)``).
    """

    name: str
    version: str
    load: Any  # callable returning the plugin module or object
    builtin: bool = False
    origin: str = ""


def discover() -> list[Candidate]:
    """Every plugin advertised in the ``hearthside.plugins`` entry-point group."""
    return [dataclasses.replace(candidate) for candidate in _discover_on(tuple(sys.path))]


@functools.lru_cache(maxsize=8)
def _discover_on(search_path: tuple[str, ...]) -> tuple[Candidate, ...]:
    """Reading every distribution's metadata costs ~6 ms; what is installed on one import path
    does not change while a process runs (``pip install`` takes effect at the next start)."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else None
        version = ep.dist.version if ep.dist is not None else "unknown"
        builtin = is_builtin_module(ep.value) and _normal(dist) == DISTRIBUTION
        origin = f"{dist} {version} ({ep.value})" if dist else ep.value
        found.append(Candidate(ep.name, version, ep.load, builtin, origin))
    return tuple(sorted(found, key=lambda c: (c.name != CORE_PLUGIN, c.name, not c.builtin)))


def is_builtin_module(module_name: str) -> bool:
    """The core's own plugin, or a package under ``hearthside.plugins``."""
    return module_name == "hearthside.core_plugin" or module_name.startswith("hearthside.plugins.")


def _normal(dist_name: str | None) -> str:
    return (dist_name or "").lower().replace("_", "-").replace(".", "-")


class PluginLoader:
    """The registration half of :class:`~hearthside.plugin_manager.PluginManager`."""

    # -- registration -------------------------------------------------------

    def load(self, candidates: Iterable[Candidate], is_enabled: Callable[[str], bool] = lambda name: True,
             skip: Callable[[Candidate], str | None] = lambda candidate: None) -> None:
        """Import and register every enabled candidate that supports this API; record the rest.

        ``is_enabled(name)`` is the plugin's own on/off switch; ``skip(candidate)``
        returns why a plugin is left out of this start (safe mode, the allow
        list), or None. Neither applies to the core.
        """
        for candidate in self._without_clashes(list(candidates)):
            reason = None if candidate.name == CORE_PLUGIN else skip(candidate)
            enabled = candidate.name == CORE_PLUGIN or (reason is None and is_enabled(candidate.name))
            info = PluginInfo(candidate.name, candidate.version, enabled, builtin=candidate.builtin)
            self.plugins[candidate.name] = info
            if not enabled:
                info.state = "disabled"
                info.notes.extend([reason] if reason else [])
                continue
            try:
                info.module = self.timebox.call(candidate.load) if self._boxed(info) else candidate.load()
            except Overran as exc:
                self._fail(info, f"did not finish importing within {exc.seconds:g} s (server.hook_seconds); "
                                 "not loaded")
                continue
            except Exception as exc:  # an import error
                self._fail(info, f"could not be loaded: {_summary(exc)}", exc)
                continue
            if self._supports_api(info) and self._register(info):
                self._declare_event_types(info)
        self._reject_unknown_hooks()
        self.pm.check_pending()

    def register(self, name: str, plugin: Any, version: str = "0") -> None:
        """Register one plugin object directly (tests and the plugin author kit)."""
        self.load([Candidate(name, version, lambda: plugin, origin="registered in-process")])

    def _without_clashes(self, candidates: list[Candidate]) -> list[Candidate]:
        """Refuse every candidate whose name is not its own; keep the rest in order.

        A built-in keeps its name against any other package; two plugins from
        outside Hearthside with one name are both refused, since loading either
        would silently pick one for the user.
        """
        kept = []
        for candidate in candidates:
            rivals = [other for other in candidates if other.name == candidate.name]
            builtins = [other for other in rivals if other.builtin]
            if candidate.name in RESERVED_NAMES:
                self._refuse(candidate, f"cannot be a plugin name: {RESERVED_NAMES[candidate.name]}")
            elif candidate.name in self.plugins:
                self._refuse(candidate, f"was not loaded: a plugin named {candidate.name!r} is already registered")
            elif len(rivals) == 1 or (len(builtins) == 1 and candidate.builtin):
                kept.append(candidate)
            elif len(builtins) == 1:
                self._refuse(candidate, f"was refused: {candidate.origin or 'a plugin'} uses the name of the "
                                        f"built-in plugin {candidate.name!r}, and a plugin can never replace a "
                                        "built-in. Its entry point needs a name of its own")
            else:
                origins = " and ".join(other.origin or "a plugin" for other in rivals)
                self._refuse(candidate, f"was refused: {len(rivals)} installed plugins share this name ({origins}), "
                                        "so none of them was loaded. Uninstall all but one")
        return kept

    def _refuse(self, candidate: Candidate, reason: str) -> None:
        info = PluginInfo(candidate.name, candidate.version, builtin=candidate.builtin)
        self.refused.append(info)
        self._fail(info, reason)

    def _supports_api(self, info: PluginInfo) -> bool:
        """Check the plugin's declared API range (or the implicit one) against this server's."""
        if info.name == CORE_PLUGIN:  # the core is the API
            return True
        declared = getattr(info.module, API_ATTRIBUTE, None)
        info.api = None if declared is None else str(declared)
        try:
            supported = ApiRange(IMPLICIT_RANGE if declared is None else declared)
        except ValueError as exc:
            self._fail(info, f"declares {API_ATTRIBUTE} = {declared!r}, which cannot be read: {exc}")
            return False
        if self.api_version not in supported:
            if declared is None:
                self._fail(info, f"declares no supported plugin API range ({API_ATTRIBUTE}), so it is taken to "
                                 f"support {IMPLICIT_RANGE}, but this Hearthside provides plugin API "
                                 f"{self.api_version}; not loaded")
            else:
                self._fail(info, f"supports plugin API {declared} but this Hearthside provides plugin API "
                                 f"{self.api_version}; not loaded (install a release of the plugin made for "
                                 f"plugin API {self.api_version})")
            return False
        if declared is None:
            self._warn(info, f"declares no supported plugin API range: add {API_ATTRIBUTE} = \"{IMPLICIT_RANGE}\" "
                             f"(or the range it was written for) to its module; loaded as if it did")
        return True

    def _register(self, info: PluginInfo) -> bool:
        """Register with pluggy, turning its deprecation warnings into ones naming the plugin.

        Returns whether the plugin is registered: a bad hookimpl signature or a
        wrapper (:meth:`_refuse_wrappers`) fails it.
        """
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.pm.register(info.module, name=info.name)
        except Exception as exc:  # a bad hookimpl signature
            self._fail(info, f"could not be loaded: {_summary(exc)}", exc)
            return False
        for item in caught:
            message = item.message
            if isinstance(message, HookDeprecationWarning):
                self._warn(info, str(message))  # "implements <hook>, deprecated since ..."
                message = message.for_plugin(info.name)
            warnings.warn_explicit(message, type(message), item.filename, item.lineno)
        return self._refuse_wrappers(info)

    def _refuse_wrappers(self, info: PluginInfo) -> bool:
        """Fail a plugin implementing a hook as a wrapper: :meth:`call_by_plugin` cannot honour one.

        A wrapper runs around the other plugins' implementations; called one by
        one, it would only be counted as an answer (a generator), silently.
        """
        for caller in self.pm.get_hookcallers(info.module) or ():
            for impl in caller.get_hookimpls():
                option = "hookwrapper" if impl.hookwrapper else "wrapper" if impl.wrapper else None
                if impl.plugin_name == info.name and option:
                    self._fail(info, f"implements {caller.name} with hookimpl({option}=True), which Hearthside "
                                     "cannot honour: each plugin's hooks are called one by one, so no plugin "
                                     "wraps another's; implement the hook without it")
                    return False
        return True

    def _declare_event_types(self, info: PluginInfo) -> None:
        """Add the plugin's ``hearthside_event_types`` to :attr:`event_types`, or fail it naming the type."""
        impls = [impl for impl in self.pm.hook.hearthside_event_types.get_hookimpls()
                 if impl.plugin_name == info.name]
        declared = []
        for impl in impls:
            answer = self._call_one(info, "hearthside_event_types", impl, {})
            if answer is _NO_ANSWER:
                return
            if not isinstance(answer, (list, tuple)):
                self._fail(info, f"gave a bad answer: hearthside_event_types returned {type(answer).__name__}, "
                                 "not a list")
                return
            declared.extend(answer)
        for event_type in declared:
            problem = self.event_types.declare(info.name, event_type)
            if problem:
                self.event_types.forget(info.name)
                self._fail(info, problem)
                return

    def _reject_unknown_hooks(self) -> None:
        """pluggy's check_pending, but naming the plugin and isolating it."""
        for hook_name in dir(self.pm.hook):
            caller = getattr(self.pm.hook, hook_name)
            if hook_name.startswith("_") or not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                info = self.plugins[impl.plugin_name]
                self._fail(info, f"implements {hook_name!r}, which is not a Hearthside hook "
                                 f"(misspelt? see docs/hooks.md)")


def _summary(exc: BaseException) -> str:
    """Type and message, for failures to load: they concern code (imports, signatures), not members' words."""
    return f"{type(exc).__name__}: {exc}"
