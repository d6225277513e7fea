"""The part of a local server that is not protocol: listening, sockets, funding."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Self

from aiohttp import web

from .sockets import Socket


class LoopbackServer[S: Socket](ABC):
    """An aiohttp server that can stop and listen again on the same port.

    Subclasses route requests (:meth:`_application`) and keep their open sockets in
    ``_connections``.
    """

    def __init__(self, host: str, port: int, max_connections: int) -> None:
        """Listen on ``port`` (0: any free port, kept across restarts)."""
        self._host, self._port = host, port
        self._max_connections = max_connections
        self._connections: set[S] = set()
        self._runner: web.AppRunner | None = None

    @abstractmethod
    def _application(self) -> web.Application:
        """Return the application to serve, its routes added."""

    async def start(self) -> None:
        """Listen (on the same port as before after a stop)."""
        self._runner = web.AppRunner(
            self._application(), shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, reuse_address=True)
        await site.start()
        if self._port == 0:
            self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Drop every socket and stop listening."""
        await asyncio.gather(
            *(connection.close() for connection in list(self._connections))
        )
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def restart(self) -> None:
        """Stop, then listen again on the same port."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Self:
        """Start listening."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop listening."""
        await self.stop()

    def _refuse_when_full(self) -> None:
        """Answer a WebSocket upgrade past the connection limit with 503."""
        if len(self._connections) >= self._max_connections:
            raise web.HTTPServiceUnavailable(text="too many connections")

    async def _send_raw(self, text: str) -> None:
        """Queue ``text`` verbatim on every open socket (the faults' ``send_raw``)."""
        for connection in list(self._connections):
            connection.send(text)


def fund_each(
    fund: Mapping[str, Mapping[str, Decimal]] | None,
    credit: Callable[[str, str, Decimal], object],
) -> None:
    """Credit every ``{address: {asset: amount}}`` of ``fund`` through ``credit``."""
    for address, amounts in (fund or {}).items():
        for asset, amount in amounts.items():
            credit(address, asset, amount)
