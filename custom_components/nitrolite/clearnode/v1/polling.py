"""The connection side of the v1 client: one frame budget, polls and keepalive.

A v1 node answers unsigned frames, pushes nothing and closes the socket of a peer
that sends more than its frame budget (v1.4). :class:`PollingClient` sends every
frame after a token of one :class:`~..ratelimit.TokenBucket`, polls for others'
changes every ``poll_interval`` (unless the budget runs low), pings only an idle
connection, and drops one on which the node fell silent. The wallet's API is
:class:`~.client.NitronodeClient`, built on it.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
import time
from typing import Any

import aiohttp

from ..connection import Connection
from ..errors import ClearNodeInvalidAnswerError, ClearNodeValidationError
from ..frames import FrameKind, InboundFrame
from ..models import ClearNodeEvent
from ..ratelimit import TokenBucket
from ..reconnect import ReconnectingClient
from .codec import decode_frame, encode_request, rejected_error
from .poller import Reads, SessionPoller, poll, reread

MIN_POLL_INTERVAL = 1.0
MAX_POLL_INTERVAL = 300.0
# A poll takes two frames or more; below this many tokens it would delay actions.
MIN_TOKENS_TO_POLL = 4
# node.v1.ping goes out only after this long without any frame sent (polls suffice).
PING_AFTER_IDLE = 30.0


class _Unsigned:
    """v1 answers carry no signature: the node signs the channel states it co-signs."""

    fast = True

    def verify(self, signed_text: str, signatures: Sequence[str]) -> bool:
        """Accept every frame; the operations verify the co-signatures."""
        return True


def _now_ms() -> int:
    return int(time.time() * 1000)


class PollingClient(ReconnectingClient):
    """A connection to a v1 node: frames within budget, polls and keepalive."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        url: str,
        wallet_key: str,
        *,
        node_address: str | None,
        poll_interval: float,
        request_timeout: float,
        max_in_flight: int,
        reconnect_min_delay: float,
        reconnect_max_delay: float,
        silence_timeout: float,
        limiter: TokenBucket,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        """Prepare the connection; ``clock`` and ``sleep`` pace polls and pings."""
        if not MIN_POLL_INTERVAL <= poll_interval <= MAX_POLL_INTERVAL:
            raise ClearNodeValidationError(
                field="poll_interval",
                message=f"must be {MIN_POLL_INTERVAL:g} to {MAX_POLL_INTERVAL:g} s",
            )
        super().__init__(
            session,
            url,
            wallet_key,
            decode_frame,
            node_address=node_address,
            request_timeout=request_timeout,
            max_in_flight=max_in_flight,
            ping_interval=PING_AFTER_IDLE,
            reconnect_min_delay=reconnect_min_delay,
            reconnect_max_delay=reconnect_max_delay,
            silence_timeout=silence_timeout,
            sleep=sleep,
        )
        self._poll_interval = poll_interval
        self._clock = clock
        self._limiter = limiter
        self._poller = SessionPoller()
        self._polling = asyncio.Lock()
        self._next_poll = self._last_sent = clock()
        self._counters |= {"polls": 0, "skipped_polls": 0}

    @abstractmethod
    def _reads(self) -> Reads:
        """Return what a poll reads with (raise when never connected)."""

    @property
    def stats(self) -> dict[str, Any]:
        """Counters for diagnostics, with the polls and the frame budget."""
        budget = self._limiter.stats
        return {
            **super().stats,
            "poll_interval": self._poll_interval,
            "frames_sent": budget.acquired,
            "limiter_waits": budget.waited,
            "limiter_wait_seconds": round(budget.total_wait, 3),
        }

    async def _trust_unsigned(self, connection: Connection) -> None:
        """Let answers through unverified: v1 frames carry no signature."""
        await connection.trust(_Unsigned())

    async def _start_polling(self) -> None:
        """Read, on the first connect, the state polls compare with; schedule them."""
        async with self._polling:
            if not self._poller.started:
                await reread(self._reads(), self._poller)
        self._next_poll = self._clock() + self._poll_interval

    def _keepalive_delay(self) -> float:
        due = min(self._next_poll, self._last_sent + self._ping_interval)
        return max(0.0, due - self._clock())

    async def _keepalive(self) -> None:
        if self._clock() >= self._next_poll:
            self._next_poll = self._clock() + self._poll_interval
            await self._poll()
        if self._clock() - self._last_sent >= self._ping_interval:
            await self.ping()

    def _push_event(self, frame: InboundFrame) -> ClearNodeEvent | None:
        return None  # a v1 node sends none

    async def _poll(self) -> None:
        """Emit what changed since the last poll (or re-read)."""
        if self._limiter.available < MIN_TOKENS_TO_POLL:
            self._counters["skipped_polls"] += 1
            return
        async with self._polling:
            events = await poll(self._reads(), self._poller)
        self._counters["polls"] += 1
        for event in events:
            self._emit(event)

    async def resync(self) -> None:
        """Re-read balances and open sessions and emit them as one Resynced event."""
        async with self._polling:
            resynced = await reread(self._reads(), self._poller)
        self._emit(resynced)

    async def ping(self) -> None:
        """Round-trip ``node.v1.ping``."""
        await self._call("node.v1.ping", {})

    async def _call(self, method: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """Send one request within the frame budget; return its result.

        An error frame raises the node's refusal (``rejected_error``).
        """

        async def build(request_id: int) -> str:
            text = encode_request(request_id, method, payload, _now_ms())
            await self._limiter.acquire()
            self._last_sent = self._clock()
            return text

        frame = await self._send(method, build)
        if frame.kind is FrameKind.ERROR:
            raise rejected_error(method, frame.error_reason)
        if frame.method != method:
            msg = f"{method} was answered as {frame.method!r}"
            raise ClearNodeInvalidAnswerError(msg)
        result: Mapping[str, Any] = frame.payload  # an object: decode_frame checks it
        return result
