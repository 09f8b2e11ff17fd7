"""Finding, registering and calling plugins.

Every plugin - the core's own, the built-in ones under ``plugins/`` and any
installed with pip - is found through the ``hearthside.plugins`` entry-point
group and registered the same way. Each app gets its own :class:`PluginManager`
(no module-level global), so tests stay isolated.

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
registered, into :attr:`PluginManager.event_types`; a declaration that breaks
the rule (:class:`hearthside.events.EventTypes`) fails the plugin.

Hooks are called through :meth:`PluginManager.call`, which calls each plugin
on its own, in load order except that ``tryfirst`` implementations come
first and ``trylast`` ones last, as pluggy orders them; a ``firstresult`` hook
stops at the first answer that is not None. A ``hookwrapper`` or ``wrapper``
implementation wraps the other plugins' calls, which a caller that calls them
one by one cannot do: a plugin with one is refused at load. One third-party
plugin raising marks that plugin failed and skips it from then on, while the
others' results still come back and the server stays up (degraded, as health
and the admin page say).

The core and the built-in plugins are not isolated: isolation exists so an
add-on cannot take the server down, not to hide a broken core. A built-in that
fails to load or raises while the app is being built stops the start with
:class:`BuiltinPluginFailed` (``hearthside serve`` prints it as one sentence);
one that raises later lets the exception through to the caller, like any other
bug in the core. ``hearthside plugins`` loads with ``strict_builtins=False``
so it can still list a broken built-in as failed, with the reason.

No plugin holds the server up forever: a third-party plugin's import and
hooks, and every plugin's while the app is being built, run in a time box
(:mod:`hearthside.timebox`, ``server.hook_seconds``). One that overruns is
failed like one that raised (the caller goes on without its answer); a
built-in overrunning at start-up stops the start with one sentence.

Log lines and the reasons shown for a hook that raised name the exception's
type, the plugin, the hook and where it was raised, never the exception's
message: hooks handle members' words, and a message can carry them. The full
message is logged at debug level only.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys
import time
import warnings
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Callable, Iterable

import pluggy

from . import PLUGIN_API_VERSION, hookspecs
from .api_version import IMPLICIT_RANGE, ApiRange, HookDeprecationWarning
from .errors import describe, is_busy, is_storage_full, log_exception
from .events import EventTypes
from .timebox import Overran, TimeBox

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hearthside.plugins"
CORE_PLUGIN = "core"
DISTRIBUTION = "hearthside"  # the distribution whose entry points are the built-ins
API_ATTRIBUTE = "HEARTHSIDE_API"  # the module (or class) attribute holding a plugin's supported range
RESERVED_NAMES = {"allow": "plugins.allow is the setting that lists the plugins allowed to load"}


class PluginError(Exception):
    """A plugin raised in a hook called with ``strict=True``."""

    def __init__(self, plugin: str, hook_name: str, exc: BaseException):
        super().__init__(f"plugin {plugin!r} raised in {hook_name}: {describe(exc)}")
        self.plugin = plugin


class BuiltinPluginFailed(Exception):
    """The core or a built-in plugin could not be loaded or raised while the app was being built.

    Its message is one plain sentence naming the plugin and the cause.
    """

    def __init__(self, plugin: str, reason: str):
        what = "the core" if plugin == CORE_PLUGIN else f"the built-in plugin {plugin!r}"
        super().__init__(f"{what} {reason}")
        self.plugin = plugin


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


class PluginManager:
    """A pluggy manager plus the bookkeeping of which plugin loaded or failed."""

    def __init__(self, trace: bool = False, api_version: str = PLUGIN_API_VERSION, strict_builtins: bool = True,
                 hook_seconds: float = 10):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.refused: list[PluginInfo] = []  # name clashes: never registered, shown as failed
        self.event_types = EventTypes()  # what emit() may write: every loaded plugin's declared types
        self.trace = trace
        self.api_version = api_version
        # False only to report (``hearthside plugins``): a broken built-in is then listed, not raised.
        self.strict_builtins = strict_builtins
        # True until the app is built (build_app calls started()): a built-in raising stops the start.
        self.starting = True
        self.timebox = TimeBox(hook_seconds, "hearthside-hook")

    def started(self) -> None:
        """The app is built: from now on a built-in raising in a hook is an ordinary error for its caller."""
        self.starting = False

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
                self._fail(info, f"hearthside_event_types returned {type(answer).__name__}, not a list")
                return
            declared.extend(answer)
        for event_type in declared:
            problem = self.event_types.declare(info.name, event_type)
            if problem:
                self.event_types.forget(info.name)
                self._fail(info, problem)
                return

    def warn(self, name: str, note: str) -> None:
        """Note a problem that does not stop the plugin (a deprecated use), once per note and plugin."""
        if note not in self.plugins[name].notes:
            self._warn(self.plugins[name], note)

    def _warn(self, info: PluginInfo, note: str) -> None:
        """A problem that does not stop the plugin: logged, and shown in ``hearthside plugins``."""
        info.notes.append(note)
        log.warning("Plugin %r %s", info.name, note)

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

    def mark_failed(self, name: str, reason: str) -> None:
        """Isolate a plugin that misbehaved without raising (e.g. answered nonsense)."""
        self._fail(self.plugins[name], reason)

    def _fail(self, info: PluginInfo, reason: str, exc: BaseException | None = None) -> None:
        """Record a plugin as failed and unregister it; a built-in stops the start instead (when strict)."""
        if info.builtin and self.strict_builtins:
            raise BuiltinPluginFailed(info.name, reason) from exc
        info.state = "failed"
        info.error = reason
        self.event_types.forget(info.name)
        if exc is not None:
            log_exception(log, exc, "Plugin %r %s", info.name, reason)
        else:
            log.error("Plugin %r %s", info.name, reason)
        if info.module is not None and self.pm.is_registered(info.module):
            self.pm.unregister(info.module)

    # -- calling ------------------------------------------------------------

    def call_by_plugin(self, hook_name: str, *, strict: bool = False, missed: list[str] | None = None,
                       **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook on every loaded plugin, in load order, each isolated.

        ``tryfirst`` implementations are called before the others and
        ``trylast`` ones after, each group in load order; a ``firstresult``
        hook stops at the first answer that is not None. Returns ``(plugin name, result)`` for every implementation that returned
        something other than None. With ``strict`` an error is not isolated but
        raised as :class:`PluginError` naming the plugin - for all-or-nothing
        work such as "forget me", where carrying on would leave data behind.
        ``missed``, if given, collects the plugins that implement the hook but
        gave no answer this time (failed earlier, failed now, or hit a transient
        error), for callers that must say their result is incomplete.
        """
        caller = getattr(self.pm.hook, hook_name)
        missing = [name for name in (caller.spec.argnames if caller.spec else ()) if name not in kwargs]
        if missing:  # the caller's bug: never blame (and fail) the plugins for it
            raise TypeError(f"{hook_name} called without {', '.join(missing)}")
        order = list(self.plugins)
        impls = sorted(caller.get_hookimpls(), key=lambda impl: (
            0 if impl.tryfirst else 2 if impl.trylast else 1, order.index(impl.plugin_name)))
        first_result = bool(caller.spec and caller.spec.opts.get("firstresult"))
        results = []
        for impl in impls:
            info = self.plugins[impl.plugin_name]
            if info.state != "loaded":
                continue
            result = self._call_one(info, hook_name, impl, kwargs, strict)
            if result is _NO_ANSWER:
                result = None
                if missed is not None:
                    missed.append(info.name)
            if result is not None:
                results.append((info.name, result))
                if first_result:
                    break
        if missed is not None:
            missed[:0] = [name for name in self.failed() if name in self.plugins
                          and hasattr(self.plugins[name].module, hook_name) and name not in missed]
        return results

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Like :meth:`call_by_plugin`, returning only the results."""
        return [result for _, result in self.call_by_plugin(hook_name, **kwargs)]

    def _call_one(self, info: PluginInfo, hook_name: str, impl, kwargs: dict, strict: bool = False) -> Any:
        started = time.perf_counter()
        args = [kwargs[name] for name in impl.argnames]
        try:
            result = self.timebox.call(impl.function, *args) if self._boxed(info) else impl.function(*args)
        except Overran as exc:
            if strict:
                raise PluginError(info.name, hook_name, exc) from exc
            self._fail(info, f"did not answer {hook_name} within {exc.seconds:g} s (server.hook_seconds)"
                             + ("" if info.builtin else "; switched off until the next start"))
            return _NO_ANSWER
        except Exception as exc:
            if strict:
                raise PluginError(info.name, hook_name, exc) from exc
            if info.builtin and self.strict_builtins and not self.starting:
                raise  # a bug in the core or a built-in: never hidden by isolation
            if is_transient(exc):
                # A busy or full database says nothing about the plugin: skip this
                # call, keep the plugin (it used to be switched off until a restart).
                log.warning("Plugin %r could not finish %s this time (%s); it stays on",
                            info.name, hook_name, "the database was busy" if is_busy(exc) else "the disk is full")
                return _NO_ANSWER
            self._fail(info, f"raised in {hook_name}: {describe(exc)}", exc)
            return _NO_ANSWER
        if self.trace:
            log.info("hook %s -> %s (%.2f ms)", hook_name, info.name, (time.perf_counter() - started) * 1000)
        return result

    def _boxed(self, info: PluginInfo) -> bool:
        """Time-box a third-party plugin always, the core and built-ins while the app is being built.

        After start a built-in runs on the caller's thread, like the rest of the core.
        """
        return not info.builtin or self.starting

    # -- reporting ----------------------------------------------------------

    def implementers(self, hook_name: str) -> list[str]:
        """The loaded plugins implementing a hook, in load order."""
        names = {impl.plugin_name for impl in getattr(self.pm.hook, hook_name).get_hookimpls()}
        return [name for name in self.loaded() if name in names]

    def loaded(self) -> list[str]:
        return [name for name, info in self.plugins.items() if info.state == "loaded"]

    def failed(self) -> list[str]:
        """The plugins that were meant to run but failed, refused ones included (names only)."""
        return [info.name for info in [*self.plugins.values(), *self.refused] if info.state == "failed"]

    def report(self) -> list[dict]:
        """Every plugin found, in load order, then the ones refused for their name."""
        return [info.as_dict() for info in [*self.plugins.values(), *self.refused]]


_NO_ANSWER = object()  # an implementation that raised: distinct from one that returned None


def is_transient(exc: BaseException) -> bool:
    """Errors of the moment, not of the plugin: a busy database, a full disk."""
    return is_busy(exc) or is_storage_full(exc)


def _summary(exc: BaseException) -> str:
    """Type and message, for failures to load: they concern code (imports, signatures), not members' words."""
    return f"{type(exc).__name__}: {exc}"
