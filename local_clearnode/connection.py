"""One client socket: its login, and an outbound queue drained by its own writer task."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from local_nodes.sockets import write_queued

from .constants import OUTBOUND_QUEUE_SIZE
from .context import Login

_LOGGER = logging.getLogger(__name__)


class Connection:
    """Reading and writing are decoupled: the reader never waits for a slow client."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        """Start the writer task for an accepted socket."""
        self.ws = ws
        self.login = Login()
        self._outbound: asyncio.Queue[str] = asyncio.Queue(OUTBOUND_QUEUE_SIZE)
        self._writer = asyncio.create_task(write_queued(self.ws, self._outbound))

    def send(self, text: str) -> None:
        """Queue a frame; a client too slow to drain its queue is disconnected."""
        if self._writer.done():
            return
        try:
            self._outbound.put_nowait(text)
        except asyncio.QueueFull:
            _LOGGER.warning("Closing a connection whose outbound queue is full")
            self._writer.cancel()
            asyncio.get_running_loop().create_task(self.ws.close())

    async def close(self) -> None:
        """Stop writing and close the socket."""
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        await self.ws.close()
