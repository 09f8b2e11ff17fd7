"""The live hub: an in-process fan-out of committed events.

The app publishes each committed event here; subscribers (the Socket.IO bridge,
tests, benchmarks) receive it with the rooms it may reach. A subscriber that
raises is logged and the others still get the event: one broken listener must
not silence a pause on the wall screen.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from .errors import log_exception
from .events import Event

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]


class Hub:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a listener; returns a function that removes it again."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception as exc:
                log_exception(log, exc, "A live subscriber failed on event %s (%s)", event.id, event.type)
