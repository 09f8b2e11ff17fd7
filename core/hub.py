"""The live hub: an in-process fan-out of committed events.

The app publishes each committed event here; subscribers (the Socket.IO bridge,
tests, benchmarks) receive it with the rooms it may reach. A subscriber that
raises is logged and the others still get the event: one broken listener must
not silence a pause on the wall screen.

**In id order, outside the write lock.** A transaction's events are queued
here (:meth:`Hub.enqueue`) while the process's write lock is still held, so
the queue is in commit order, which is id order; they are sent
(:meth:`Hub.flush`) once the lock is free. Sending to a hundred sockets under
the lock made every other writer wait for it (issue 16: writes queued past the
busy timeout). One thread sends at a time; a thread that finds another
sending leaves its events to it, and the sender looks at the queue again
after letting go, so no event is left behind.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Callable, Iterable

from .errors import log_exception
from .events import Event

log = logging.getLogger(__name__)

Subscriber = Callable[..., None]


class Hub:
    def __init__(self) -> None:
        self._subscribers: list[tuple[Subscriber, bool]] = []
        self._lock = threading.Lock()
        self._queued: deque[Event] = deque()
        self._sending = threading.Lock()

    def subscribe(self, subscriber: Subscriber, with_db: bool = False) -> Callable[[], None]:
        """Add a listener, called ``subscriber(event)`` (``subscriber(event, db)`` if ``with_db``).

        ``db`` is the connection of the thread sending, outside any transaction,
        or None: the live stream checks revocations on it instead of opening one.
        Returns a function that removes the listener again.
        """
        entry = (subscriber, with_db)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def enqueue(self, events: Iterable[Event]) -> None:
        """Queue committed events; called while the write lock is held, so in id order."""
        with self._lock:
            self._queued.extend(events)

    def flush(self, db=None) -> None:
        """Send every queued event in order, unless another thread is sending them already."""
        while self._queued:
            if not self._sending.acquire(blocking=False):
                return  # that thread sends ours too: it looks at the queue again after letting go
            try:
                while True:
                    with self._lock:
                        if not self._queued:
                            break
                        event = self._queued.popleft()
                    self.publish(event, db)
            finally:
                self._sending.release()

    def publish(self, event: Event, db=None) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber, with_db in subscribers:
            try:
                if with_db:
                    subscriber(event, db)
                else:
                    subscriber(event)
            except Exception as exc:
                log_exception(log, exc, "A live subscriber failed on event %s (%s)", event.id, event.type)
