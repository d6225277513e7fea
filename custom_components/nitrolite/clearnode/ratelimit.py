"""A fair, cancellation-safe token bucket for the frames a client sends.

A v1.4 node closes the socket, without an error frame, as soon as a connection sends
more than 10 frames a second over a burst of 20 (PROTOCOL_V1 §1.3). The client's own
budget stays below that, 8 a second over a burst of 16, and covers every frame it
sends: actions, polls and retries alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import time

DEFAULT_RATE = 8.0
DEFAULT_BURST = 16


@dataclass(frozen=True, slots=True)
class RateLimiterStats:
    """How often senders had to wait for a token, and for how long in all (seconds)."""

    acquired: int
    waited: int
    total_wait: float


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; one token per frame; starts full.

    Waiters are served first come, first served: a frame never overtakes one that
    asked earlier. A waiter that is cancelled (a request timeout) takes no token.
    ``clock`` and ``sleep`` are injectable so that tests run on simulated time.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Refill at ``rate`` tokens a second, hold at most ``burst``."""
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        # asyncio.Lock wakes its waiters in arrival order and lets no newcomer barge
        # ahead of them: the FIFO queue.
        self._turn = asyncio.Lock()
        self._queued = 0
        self._acquired = 0
        self._waited = 0
        self._total_wait = 0.0

    @property
    def available(self) -> float:
        """Tokens a new frame would find: what the bucket holds less what is promised."""
        return max(0.0, self._refill() - self._queued)

    @property
    def stats(self) -> RateLimiterStats:
        """Wait statistics for diagnostics."""
        return RateLimiterStats(self._acquired, self._waited, self._total_wait)

    async def acquire(self) -> None:
        """Wait for a token and take it; the wait counts against the caller's timeout."""
        self._queued += 1
        started = self._clock()
        waits = self._turn.locked()
        try:
            async with self._turn:
                while (missing := 1.0 - self._refill()) > 0:
                    waits = True
                    await self._sleep(missing / self._rate)
                # Nothing awaits between taking the token and returning: a cancelled
                # waiter never holds one.
                self._tokens -= 1.0
        finally:
            self._queued -= 1
        self._acquired += 1
        if waits:
            self._waited += 1
            self._total_wait += self._clock() - started

    def _refill(self) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self._burst), self._tokens + elapsed * self._rate)
        self._updated = now
        return self._tokens
