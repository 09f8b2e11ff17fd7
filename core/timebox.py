"""Time-boxed calls: wait for a piece of plugin code at most so long, then go on without it.

Python cannot stop a thread, so a call that must not hold up its caller runs
on a helper thread while the caller waits for it at most ``seconds``. If it
answers in time, the caller gets its result or its exception as if it had
called the function itself. If not, the caller gets :class:`Overran` and goes
on (a page answered without that plugin, a start stopped with a plain
sentence); the helper thread stays with the hung call, and if the call ever
returns its answer is dropped.

Helper threads are daemons (a hung one never keeps the process from
exiting) and are reused: handing a call to an idle helper costs two thread
switches, not a thread start. Threads do not survive a fork: a box used
before gunicorn forks its worker (the app is built in the master) forgets
its helpers in the worker and starts new ones there. The call runs in a copy of the caller's
context variables, so Flask's request, ``g`` and the request's database
connection are the caller's own - which is why a call that overran is fenced
off the connections it could reach (:mod:`hearthside.fence`).

:meth:`TimeBox.start` hands a call over without waiting, for a caller that
waits in its own way (the scheduler, :mod:`hearthside.scheduler`).
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from typing import Any, Callable


class Outcome:
    """One call's answer, handed from the helper to the waiting caller.

    ``thread`` is the helper running the call (its ``threading.get_ident()``);
    ``finished`` turns true, and ``done`` is set, once the call returned or raised.
    """

    def __init__(self) -> None:
        self.done = threading.Event()
        self.finished = False
        self.thread: int | None = None
        self.result: Any = None
        self.error: BaseException | None = None


class Overran(Exception):
    """The call did not finish within its box; it may still be running (``outcome`` tells when it ends)."""

    def __init__(self, seconds: float, outcome: Outcome | None = None):
        super().__init__(f"did not finish within {seconds:g} s")
        self.seconds = seconds
        self.outcome = outcome


class TimeBox:
    """Runs calls on reusable daemon helper threads and waits for each at most ``seconds``."""

    def __init__(self, seconds: float, name: str = "hearthside-timebox"):
        self.seconds = seconds
        self.name = name
        self._idle: list[queue.SimpleQueue] = []  # one inbox per idle helper
        self._lock = threading.Lock()
        self._pid = os.getpid()  # whose helpers ``_idle`` holds
        self._closed = False

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)``, or :class:`Overran` once it has taken longer than the box."""
        outcome = self.start(function, *args)
        if not outcome.done.wait(self.seconds):
            raise Overran(self.seconds, outcome)
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    def start(self, function: Callable[..., Any], *args: Any) -> Outcome:
        """Hand ``function(*args)`` to a helper and return at once; the :class:`Outcome` says when it ends."""
        outcome = Outcome()
        self._inbox().put((contextvars.copy_context(), function, args, outcome))
        return outcome

    def _inbox(self) -> queue.SimpleQueue:
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the helpers stayed in the parent
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        inbox: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._serve, args=(inbox,), name=self.name, daemon=True).start()
        return inbox

    def close(self) -> None:
        """End the idle helpers, and each busy one once its call returns (the owner is shutting down).

        Without it every helper would wait for work forever, and with it
        whatever its owner reaches (a whole app, for the plugin manager's box).
        """
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for inbox in idle:
            inbox.put(None)

    def _serve(self, inbox: queue.SimpleQueue) -> None:
        """A helper's life: run what arrives in its inbox, then wait to be picked again."""
        while (work := inbox.get()) is not None:
            self._run(*work)
            del work  # an idle helper holds nothing of the call it ran
            with self._lock:
                if self._closed:
                    return
                self._idle.append(inbox)

    @staticmethod
    def _run(context: contextvars.Context, function: Callable[..., Any], args: tuple, outcome: Outcome) -> None:
        outcome.thread = threading.get_ident()
        try:
            outcome.result = context.run(function, *args)
        except BaseException as exc:  # handed to the caller, who decides
            outcome.error = exc
        outcome.finished = True
        outcome.done.set()
