"""Slowing down password guessing."""

from __future__ import annotations

import threading
import time

# Above this many remembered keys, stale ones are swept: a flood of made-up
# usernames must not grow the table for ever.
PRUNE_ABOVE = 10_000


class LoginLimiter:
    """Slows guessing: after ``attempts`` failures for a username or an address
    within ``window`` seconds, further tries answer 429 until the window ends.
    Kept in memory: one server process, and a restart forgetting is harmless.

    Callers pass one key per thing to protect (``user:<name>``, ``addr:<ip>``);
    a try is refused if *any* of its keys is over the limit, so guessing one
    password across many usernames from one address is slowed as well.
    """

    def __init__(self, attempts: int = 5, window: int = 300):
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait, or 0 if a try is allowed now."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < self.window]
                if recent:
                    self._failures[key] = recent
                else:
                    self._failures.pop(key, None)
                if len(recent) >= self.attempts:
                    wait = max(wait, self.window - (now - recent[-self.attempts]))
        return int(wait) + 1 if wait else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, []).append(now)
            if len(self._failures) > PRUNE_ABOVE:
                self._prune(now)

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of these keys (the username's, after a correct password)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        """Drop keys whose failures are all older than the window (lock held)."""
        stale = [key for key, times in self._failures.items() if now - times[-1] >= self.window]
        for key in stale:
            del self._failures[key]


def invite_keys(address: str | None) -> tuple[str]:
    """The limiter key for trying invite codes (accepts and ``/join/<code>`` pages) from one address.

    Counted apart from sign-ins, so a partner mistyping a code does not lock
    the household out of signing in, nor the other way round.
    """
    return (f"invite-addr:{address}",)
