"""A minimal v1 sender for tests: frames out on one socket, answers matched by id.

It stands in for the future client's connection: ``sender(method, payload)`` is the
``send`` callable the operations take. An error frame raises the library's typed
rejection, a dropped socket a connection error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import itertools
import time
from typing import Any

import aiohttp

from custom_components.nitrolite.clearnode.errors import (
    ClearNodeConnectionError,
    ClearNodeTimeoutError,
)
from custom_components.nitrolite.clearnode.frames import FrameKind, InboundFrame
from custom_components.nitrolite.clearnode.ratelimit import TokenBucket
from custom_components.nitrolite.clearnode.v1.codec import (
    decode_frame,
    encode_request,
    rejected_error,
)

ANSWER_TIMEOUT = 30.0


class Sender:
    """Send requests on ``ws`` (after a token of ``limiter``, if given)."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        limiter: TokenBucket | None = None,
        *,
        timeout: float = ANSWER_TIMEOUT,
    ) -> None:
        """Start reading ``ws``; a request unanswered after ``timeout`` s times out."""
        self.ws = ws
        self._limiter = limiter
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[InboundFrame]] = {}
        self.requests: list[str] = []
        self.answered = 0
        self._reader = asyncio.create_task(self._read())

    async def __call__(
        self, method: str, payload: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Send one request; return its result or raise the node's refusal."""
        if self._limiter is not None:
            await self._limiter.acquire()
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            self.requests.append(method)
            await self.ws.send_str(
                encode_request(request_id, method, payload, int(time.time() * 1000))
            )
            async with asyncio.timeout(self._timeout):
                frame = await future
        except TimeoutError:
            raise ClearNodeTimeoutError(f"no answer to {method}") from None
        finally:
            self._pending.pop(request_id, None)
        if frame.kind is FrameKind.ERROR:
            raise rejected_error(method, frame.error_reason)
        return frame.payload

    async def close(self) -> None:
        """Close the socket and stop reading."""
        await self.ws.close()
        await self._reader

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    frame = decode_frame(message.data)
                    future = self._pending.get(frame.request_id)
                    if future is not None and not future.done():
                        self.answered += 1
                        future.set_result(frame)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ClearNodeConnectionError("socket closed"))
