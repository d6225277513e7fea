"""A simulated monotonic clock whose sleepers wake only when a test moves time."""

import asyncio
import heapq
import itertools


class SimulatedClock:
    """Seconds that pass only through :meth:`advance`; usable as clock and sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        """Start at ``start`` seconds."""
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    @property
    def sleepers(self) -> int:
        """How many sleeps are waiting for time to pass."""
        return sum(1 for *_, future in self._sleepers if not future.done())

    async def sleep(self, seconds: float) -> None:
        """Return once the clock has moved ``seconds`` on."""
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    def advance(self, seconds: float) -> None:
        """Move time on and wake every sleeper whose moment has come."""
        self.now += seconds
        while self._sleepers and self._sleepers[0][0] <= self.now:
            *_, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)


async def settle() -> None:
    """Let every task that can run without time passing run (no I/O involved)."""
    for _ in range(50):
        await asyncio.sleep(0)
