"""What the servers need of an accepted socket, and its queued writer."""

from __future__ import annotations

import asyncio
from typing import Protocol

from aiohttp import web


class Socket(Protocol):
    """An accepted client socket as the server drives it."""

    def send(self, text: str) -> None:
        """Queue a frame for the client."""

    async def close(self) -> None:
        """Stop serving the client and close the socket."""


async def write_queued(ws: web.WebSocketResponse, outbound: asyncio.Queue[str]) -> None:
    """Send queued frames in order until the socket fails (the reader never waits)."""
    while True:
        text = await outbound.get()
        try:
            await ws.send_str(text)
        except ConnectionError:
            return
