"""A raw WebSocket peer for the server tests: hand-built v1 frames, parsed answers."""

from __future__ import annotations

from dataclasses import dataclass
import json
import time
from typing import Any

import aiohttp

RECEIVE_TIMEOUT = 10.0
RESPONSE, ERROR = 2, 4


@dataclass(frozen=True)
class Answer:
    """One server frame ``[type, id, method, payload, ts]`` and its exact text."""

    kind: int
    request_id: int
    method: str
    payload: dict[str, Any]
    text: str

    @property
    def error(self) -> str | None:
        """Return the error text of an error frame, None otherwise."""
        return self.payload["error"] if self.kind == ERROR else None

    @property
    def result(self) -> dict[str, Any]:
        """Return the payload of a success frame (fails on an error frame)."""
        assert self.kind == RESPONSE, self
        return self.payload


class Peer:
    """One socket to the node."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an open socket."""
        self.ws = ws
        self._next_id = 1

    def frame(self, method: str, payload: Any, request_id: int | None = None) -> str:
        """Return ``[1, id, method, payload, ts]`` as the SDK sends it."""
        if request_id is None:
            request_id, self._next_id = self._next_id, self._next_id + 1
        return json.dumps(
            [1, request_id, method, payload, int(time.time() * 1000)],
            separators=(",", ":"),
        )

    async def send_text(self, text: str) -> None:
        """Send a text frame as is."""
        await self.ws.send_str(text)

    async def receive(self) -> Answer:
        """Read one frame."""
        text = await self.ws.receive_str(timeout=RECEIVE_TIMEOUT)
        kind, request_id, method, payload, _timestamp = json.loads(text)
        return Answer(kind, request_id, method, payload, text)

    async def raw(self, text: str) -> Answer:
        """Send any text and return the next frame."""
        await self.send_text(text)
        return await self.receive()

    async def request(self, method: str, payload: Any = None) -> Answer:
        """Send a request and return its answer (same id, same method)."""
        text = self.frame(method, {} if payload is None else payload)
        answer = await self.raw(text)
        assert answer.request_id == json.loads(text)[1], answer
        return answer

    async def call(self, method: str, payload: Any = None) -> dict[str, Any]:
        """Send a request that must succeed; return its result."""
        return (await self.request(method, payload)).result

    async def error(self, method: str, payload: Any = None) -> str:
        """Send a request that must fail; return the node's text."""
        answer = await self.request(method, payload)
        assert answer.error is not None, answer
        return answer.error
