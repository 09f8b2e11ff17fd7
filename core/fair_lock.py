"""A re-entrant lock handed over in the order it was asked for: the process's write lock.

Python's own locks are not fair: a thread that lets go and asks again at once
usually gets the lock back before any thread already waiting, and which
waiter wakes is up to the operating system. Under 50 writers that let some
writes wait past the busy timeout (answered 503) while later ones went
through (issue 16). Here each waiter sleeps on a lock of its own and the
holder, on letting go, hands the lock straight to the oldest waiter, so a
write waits for exactly the writes that asked before it: the wait is bounded
by the queue in front, never by luck.
"""

from __future__ import annotations

import threading
from collections import deque


class FairLock:
    """Like :class:`threading.RLock` (``acquire(blocking, timeout)``, ``release``, ``with``), but first come, first served."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None:  # free means nobody waits either: release hands over directly
                self._owner, self._depth = me, 1
                return True
            if not blocking or timeout == 0:
                return False
            turn = threading.Lock()
            turn.acquire()
            entry = (me, turn)
            self._waiting.append(entry)
        turn.acquire(timeout=timeout if timeout is not None and timeout >= 0 else -1)
        with self._guard:
            if self._owner == me:  # handed over, perhaps just as the wait ran out: take it
                self._depth = 1
                return True
            self._waiting.remove(entry)
            return False

    def release(self) -> None:
        with self._guard:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairLock this thread does not hold")
            self._depth -= 1
            if self._depth:
                return
            if self._waiting:
                self._owner, turn = self._waiting.popleft()
                turn.release()
            else:
                self._owner = None

    def waiting(self) -> int:
        """How many threads are queued for the lock (for tests and the log)."""
        with self._guard:
            return len(self._waiting)

    def __enter__(self) -> "FairLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
