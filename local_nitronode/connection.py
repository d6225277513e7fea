"""One client socket: keepalive, frame budget, in-order processing, queued writes.

Like ``pkg/rpc/connection.go``: the node pings every few seconds and drops a peer whose
pong does not come back in time (only pongs extend the read deadline); every inbound
frame, malformed or not, spends one token of the connection's budget; requests are
handled one at a time in arrival order, so answers come back in request order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
import logging

from aiohttp import WSMsgType, web

from local_nodes.sockets import write_queued

from .constants import OUTBOUND_QUEUE_SIZE
from .faults import Faults
from .ratelimit import FrameBucket

_LOGGER = logging.getLogger(__name__)
INBOUND_QUEUE_SIZE = 64

type Processor = Callable[["Connection", str, bool], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Keepalive:
    """Ping cadence and how long a pong may take."""

    ping_interval: float
    pong_timeout: float


class Connection:
    """An accepted WebSocket and the tasks that serve it."""

    def __init__(  # noqa: PLR0913 - the parts of one connection
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        *,
        bucket: FrameBucket,
        answers_rate_limit: bool,
        keepalive: Keepalive,
        faults: Faults,
    ) -> None:
        """Wrap a prepared socket; nothing runs until :meth:`serve`."""
        self.ws = ws
        self.app_id = request.query.get("app_id", "")
        self._transport = request.transport
        self._bucket = bucket
        self._answers_rate_limit = answers_rate_limit
        self._keepalive = keepalive
        self._faults = faults
        self._inbound: asyncio.Queue[tuple[str, bool]] = asyncio.Queue(
            INBOUND_QUEUE_SIZE
        )
        self._outbound: asyncio.Queue[str] = asyncio.Queue(OUTBOUND_QUEUE_SIZE)
        self._tasks: list[asyncio.Task[None]] = []

    async def serve(self, process: Processor) -> None:
        """Read until the peer leaves, is dropped, or the server stops."""
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(write_queued(self.ws, self._outbound)),
            loop.create_task(self._process_all(process)),
            loop.create_task(self._ping_all()),
        ]
        try:
            async with asyncio.timeout(self._keepalive.pong_timeout) as deadline:
                async for message in self.ws:
                    if message.type is WSMsgType.PONG and not self._faults.ignore_pongs:
                        deadline.reschedule(loop.time() + self._keepalive.pong_timeout)
                    elif message.type is WSMsgType.PING:
                        await self.ws.pong(message.data)
                    elif message.type is WSMsgType.TEXT:
                        self._admit(message.data)
                    elif message.type is WSMsgType.BINARY:
                        self._admit(message.data.decode(errors="replace"))
        except TimeoutError:
            _LOGGER.debug("Dropping a connection whose pong did not arrive in time")
        finally:
            await self.close()

    def send(self, text: str) -> None:
        """Queue a frame; a client too slow to drain its queue is disconnected."""
        try:
            self._outbound.put_nowait(text)
        except asyncio.QueueFull:
            _LOGGER.warning("Dropping a connection whose outbound queue is full")
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection at once, with no close frame (gorilla's Close)."""
        if self._transport is not None:
            self._transport.close()

    async def close(self) -> None:
        """Stop serving and close the socket."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.ws.close()

    def _admit(self, text: str) -> None:
        limited = not self._bucket.admit()
        if limited and not self._answers_rate_limit:
            _LOGGER.debug("Dropping a connection over its frame budget")
            self.abort()
            return
        try:
            self._inbound.put_nowait((text, limited))
        except asyncio.QueueFull:
            _LOGGER.debug("Dropping a connection whose inbound queue is full")
            self.abort()

    async def _process_all(self, process: Processor) -> None:
        while True:
            text, limited = await self._inbound.get()
            await process(self, text, limited)

    async def _ping_all(self) -> None:
        while True:
            await asyncio.sleep(self._keepalive.ping_interval)
            if self._faults.stop_pinging:
                continue
            try:
                await self.ws.ping()
            except ConnectionError:
                return
