"""Slowing down password guessing."""

from __future__ import annotations

import threading
import time


class LoginLimiter:
    """Slows guessing: after ``attempts`` failures for a username or an address
    within ``window`` seconds, further tries answer 429 until the window ends.
    Kept in memory: one server process, and a restart forgetting is harmless.
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
                self._failures[key] = recent
                if len(recent) >= self.attempts:
                    wait = max(wait, self.window - (now - recent[0]))
        return int(wait) + 1 if wait else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
