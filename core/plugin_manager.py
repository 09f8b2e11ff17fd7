"""Finding, registering and calling plugins.

Every plugin - the core's own, the built-in ones under ``plugins/`` and any
installed with pip - is found through the ``hearthside.plugins`` entry-point
group and registered the same way. Each app gets its own :class:`PluginManager`
(no module-level global), so tests stay isolated.

Hooks are called through :meth:`PluginManager.call`, which calls each plugin
on its own: one plugin raising marks that plugin failed and skips it from then
on, while the others' results still come back and the server stays up.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Iterable

import pluggy

from . import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "hearthside.plugins"
CORE_PLUGIN = "core"


class PluginError(Exception):
    """A plugin raised in a hook called with ``strict=True``."""

    def __init__(self, plugin: str, hook_name: str, exc: BaseException):
        super().__init__(f"plugin {plugin!r} raised in {hook_name}: {_summary(exc)}")
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

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "enabled": self.enabled,
                "state": self.state, "error": self.error}


@dataclass
class Candidate:
    """A plugin found but not yet registered: a name, a version and a loader."""

    name: str
    version: str
    load: Any  # callable returning the plugin module or object


def discover() -> list[Candidate]:
    """Every plugin advertised in the ``hearthside.plugins`` entry-point group."""
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        version = ep.dist.version if ep.dist is not None else "unknown"
        found.append(Candidate(ep.name, version, ep.load))
    return sorted(found, key=lambda c: (c.name != CORE_PLUGIN, c.name))


class PluginManager:
    """A pluggy manager plus the bookkeeping of which plugin loaded or failed."""

    def __init__(self, trace: bool = False):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.trace = trace

    # -- registration -------------------------------------------------------

    def load(self, candidates: Iterable[Candidate], is_enabled=lambda name: True) -> None:
        """Import and register every enabled candidate; record the rest."""
        for candidate in candidates:
            enabled = candidate.name == CORE_PLUGIN or is_enabled(candidate.name)
            info = PluginInfo(candidate.name, candidate.version, enabled)
            self.plugins[candidate.name] = info
            if not enabled:
                info.state = "disabled"
                continue
            try:
                info.module = candidate.load()
                self.pm.register(info.module, name=candidate.name)
            except Exception as exc:  # an import error, a bad hookimpl signature
                self._fail(info, f"could not be loaded: {_summary(exc)}", exc)
        self._reject_unknown_hooks()
        self.pm.check_pending()

    def register(self, name: str, plugin: Any, version: str = "0") -> None:
        """Register one plugin object directly (tests and the plugin author kit)."""
        self.load([Candidate(name, version, lambda: plugin)])

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
        info.state = "failed"
        info.error = reason
        if exc is not None:
            log.error("Plugin %r %s\n%s", info.name, reason, "".join(traceback.format_exception(exc)).rstrip())
        else:
            log.error("Plugin %r %s", info.name, reason)
        if info.module is not None and self.pm.is_registered(info.module):
            self.pm.unregister(info.module)

    # -- calling ------------------------------------------------------------

    def call_by_plugin(self, hook_name: str, *, strict: bool = False, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook on every loaded plugin, in load order, each isolated.

        Returns ``(plugin name, result)`` for every implementation that returned
        something other than None. With ``strict`` an error is not isolated but
        raised as :class:`PluginError` naming the plugin - for all-or-nothing
        work such as "forget me", where carrying on would leave data behind.
        """
        caller = getattr(self.pm.hook, hook_name)
        missing = [name for name in (caller.spec.argnames if caller.spec else ()) if name not in kwargs]
        if missing:  # the caller's bug: never blame (and fail) the plugins for it
            raise TypeError(f"{hook_name} called without {', '.join(missing)}")
        order = list(self.plugins)
        impls = sorted(caller.get_hookimpls(), key=lambda impl: order.index(impl.plugin_name))
        results = []
        for impl in impls:
            info = self.plugins[impl.plugin_name]
            if info.state != "loaded":
                continue
            result = self._call_one(info, hook_name, impl, kwargs, strict)
            if result is not None:
                results.append((info.name, result))
        return results

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Like :meth:`call_by_plugin`, returning only the results."""
        return [result for _, result in self.call_by_plugin(hook_name, **kwargs)]

    def _call_one(self, info: PluginInfo, hook_name: str, impl, kwargs: dict, strict: bool = False) -> Any:
        started = time.perf_counter()
        try:
            result = impl.function(*[kwargs[name] for name in impl.argnames])
        except Exception as exc:
            if strict:
                raise PluginError(info.name, hook_name, exc) from exc
            self._fail(info, f"raised in {hook_name}: {_summary(exc)}", exc)
            return None
        if self.trace:
            log.info("hook %s -> %s (%.2f ms)", hook_name, info.name, (time.perf_counter() - started) * 1000)
        return result

    # -- reporting ----------------------------------------------------------

    def implementers(self, hook_name: str) -> list[str]:
        """The loaded plugins implementing a hook, in load order."""
        names = {impl.plugin_name for impl in getattr(self.pm.hook, hook_name).get_hookimpls()}
        return [name for name in self.loaded() if name in names]

    def loaded(self) -> list[str]:
        return [name for name, info in self.plugins.items() if info.state == "loaded"]

    def report(self) -> list[dict]:
        return [info.as_dict() for info in self.plugins.values()]


def _summary(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
