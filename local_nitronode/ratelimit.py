"""The per-connection frame budget (``pkg/rpc/rate_limiter.go`` RequestTokenBucket)."""

from __future__ import annotations

from collections.abc import Callable


class FrameBucket:
    """One token per inbound frame, whatever its size or validity; starts full."""

    def __init__(
        self, per_second: float, burst: float, clock: Callable[[], float]
    ) -> None:
        """Refill at ``per_second`` up to ``burst``; ``clock`` returns seconds."""
        self._per_second = per_second
        self._burst = burst
        self._tokens = burst
        self._clock = clock
        self._last: float | None = None

    def admit(self) -> bool:
        """Spend a token for one frame; False when fewer than one is left."""
        now = self._clock()
        if self._last is not None:
            elapsed = max(0.0, now - self._last)
            self._tokens = min(self._burst, self._tokens + elapsed * self._per_second)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
