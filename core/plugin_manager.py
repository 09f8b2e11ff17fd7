"""Finding, registering and calling plugins.

Every plugin - the core's own, the built-in ones under ``plugins/`` and any
installed with pip - is found through the ``hearthside.plugins`` entry-point
group and registered the same way. Each app gets its own :class:`PluginManager`
(no module-level global), so tests stay isolated. Finding plugins and the
gates each passes before it is registered are :mod:`hearthside.plugin_loading`
(the manager is built on its :class:`~hearthside.plugin_loading.PluginLoader`);
this module calls the hooks and keeps the record of who failed.

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
built-in overrunning at start-up stops the start with one sentence. The call
runs inside a savepoint of the caller's transaction, and once it overran it
is fenced off every connection it could reach (:mod:`hearthside.fence`): it
can never write into what the caller does next.

Log lines and the reasons shown for a hook that raised name the exception's
type, the plugin, the hook and where it was raised, never the exception's
message: hooks handle members' words, and a message can carry them. The full
message is logged at debug level only.
"""

from __future__ import annotations

import logging
import time
from types import FunctionType, MethodType, ModuleType
from typing import Any

import pluggy
import sqlite_utils

from . import PLUGIN_API_VERSION, hook_types, hookspecs
from .errors import describe, is_busy, is_storage_full, log_exception
from .events import EventTypes
from .fence import call_fenced
from .plugin_loading import (  # noqa: F401 - Candidate, discover, is_builtin_module: importable from here
    _NO_ANSWER, CORE_PLUGIN, Candidate, PluginInfo, PluginLoader, discover, is_builtin_module)
from .request_context import abandon_db, opened_db
from .timebox import Overran, TimeBox

log = logging.getLogger(__name__)


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


class _HookFinder(pluggy.PluginManager):
    """pluggy's manager, looking at a plugin module's functions only.

    pluggy inspects every name a plugin holds with ``inspect.getattr_static``,
    imports and constants included: that was a third of loading the plugins,
    paid by every start and every test app. A module's hook implementations
    are functions (or bound methods) in its ``__dict__``, so other names are
    passed over before pluggy looks.
    """

    def parse_hookimpl_opts(self, plugin, name):
        if isinstance(plugin, ModuleType) and not isinstance(vars(plugin).get(name), (FunctionType, MethodType)):
            return None
        return super().parse_hookimpl_opts(plugin, name)


class PluginManager(PluginLoader):
    """A pluggy manager plus the bookkeeping of which plugin loaded or failed."""

    def __init__(self, trace: bool = False, api_version: str = PLUGIN_API_VERSION, strict_builtins: bool = True,
                 hook_seconds: float = 10):
        self.pm = _HookFinder(hookspecs.PROJECT)
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

    def warn(self, name: str, note: str) -> None:
        """Note a problem that does not stop the plugin (a deprecated use), once per note and plugin."""
        if note not in self.plugins[name].notes:
            self._warn(self.plugins[name], note)

    def _warn(self, info: PluginInfo, note: str) -> None:
        """A problem that does not stop the plugin: logged, and shown in ``hearthside plugins``."""
        info.notes.append(note)
        log.warning("Plugin %r %s", info.name, note)

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

    def answers(self, hook_name: str, *, missed: list[str] | None = None, **kwargs: Any) -> list[tuple[str, Any]]:
        """Like :meth:`call_by_plugin`, each answer checked against the type the hook declares.

        The one policy for a bad answer, whatever the hook: the plugin that gave
        it is failed, with a reason naming the hook and the field
        (:mod:`hearthside.hook_types`), and its answer is left out (and added
        to ``missed``); a built-in stops the start instead. An answer in the
        plugin API 1.x shape (dicts) is converted, with a deprecation note once
        per plugin. Every reader of a hook's answers calls this.
        """
        checked = []
        for name, answer in self.call_by_plugin(hook_name, missed=missed, **kwargs):
            try:
                answer, note = hook_types.check(hook_name, answer)
            except hook_types.BadReturn as problem:
                self._fail(self.plugins[name], f"gave a bad answer: {problem}")
                if missed is not None:
                    missed.append(name)
                continue
            if note:
                self.warn(name, note)
            checked.append((name, answer))
        return checked

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Like :meth:`call_by_plugin`, returning only the results."""
        return [result for _, result in self.call_by_plugin(hook_name, **kwargs)]

    def _call_one(self, info: PluginInfo, hook_name: str, impl, kwargs: dict, strict: bool = False) -> Any:
        started = time.perf_counter()
        args = [kwargs[name] for name in impl.argnames]
        try:
            if self._boxed(info):
                result = call_fenced(self.timebox, impl.function, args, lambda: _reachable(kwargs))
            else:
                result = impl.function(*args)
        except Overran as exc:
            abandon_db()  # the hung call may still use the request's connection
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



def _reachable(kwargs: dict) -> list:
    """The connections a hook call can reach: the ones it is given and the request's own."""
    found = [value for value in kwargs.values() if isinstance(value, sqlite_utils.Database)]
    request_db = opened_db()
    if request_db is not None and all(request_db is not db for db in found):
        found.append(request_db)
    return found


def is_transient(exc: BaseException) -> bool:
    """Errors of the moment, not of the plugin: a busy database, a full disk."""
    return is_busy(exc) or is_storage_full(exc)


