"""Which protocol an endpoint speaks, and which node answers there (HA_MAPPING §4.5).

One socket, one deadline, v1 first: a v1 node answers ``node.v1.get_config`` with its
version and address. A v0.5 ClearNode pushes ``assets`` as soon as the socket opens
(and refuses the array frame); its broker address then comes from a v0.5
``get_config`` on the same socket. Nothing is signed and nothing changes on the node.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
import json
import time
from typing import Any

import aiohttp

from .addresses import to_checksum_address
from .base import Dialect
from .connection import MAX_FRAME_CHARS
from .errors import ClearNodeProtocolError, ClearNodeUnsupportedNodeError
from .frames import FrameKind
from .v05.codec import (
    decode_frame as decode_v05_frame,
    encode_request as encode_v05_request,
    frame_request,
)
from .v05.parsing import broker_config, mapping
from .v1.codec import decode_frame as decode_v1_frame, encode_request
from .v1.models import NodeConfig

PROBE_TIMEOUT = 5.0
# Closing the probe's socket must not outlast the deadline by much.
CLOSE_TIMEOUT = 1.0
# Frames read before giving up: a v0.5 node sends its push, the refusal of the v1
# frame, then the answer.
MAX_PROBE_FRAMES = 8
MAX_DETAIL_CHARS = 80
_V1_GET_CONFIG = "node.v1.get_config"
_V05_GET_CONFIG = "get_config"
_V1_REQUEST_ID = 1
_V05_REQUEST_ID = 2


class ProbeOutcome(StrEnum):
    """What the endpoint turned out to be."""

    V1 = "v1"
    """A Nitronode v1.3.0 or newer: supported."""
    V1_UNSUPPORTED = "v1_unsupported"
    """A v1 node too old for this library, or one that did not say its version."""
    V05 = "v0.5"
    """A ClearNode v0.5."""
    UNREACHABLE = "unreachable"
    """No WebSocket could be opened (refused, timed out, or an HTTP error)."""
    UNRECOGNISED = "unrecognised"
    """A WebSocket that speaks neither protocol."""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome, the node's address (EIP-55) and version where known, and details.

    ``detail`` names what was seen: the HTTP status, the unsupported version, or the
    first thing that was neither protocol.
    """

    outcome: ProbeOutcome
    node_address: str | None = None
    node_version: str | None = None
    detail: str = ""

    @property
    def dialect(self) -> Dialect | None:
        """The protocol the endpoint speaks, supported or not."""
        if self.outcome in {ProbeOutcome.V1, ProbeOutcome.V1_UNSUPPORTED}:
            return Dialect.V1
        return Dialect.V05 if self.outcome is ProbeOutcome.V05 else None


class _Unrecognised(Exception):
    """The endpoint sent something neither protocol sends."""


def _excerpt(text: str) -> str:
    return repr(text[:MAX_DETAIL_CHARS]) + ("…" if len(text) > MAX_DETAIL_CHARS else "")


def _now_ms() -> int:
    return int(time.time() * 1000)


async def probe(
    session: aiohttp.ClientSession, url: str, *, timeout: float = PROBE_TIMEOUT
) -> ProbeResult:
    """Tell what answers at ``url`` within ``timeout`` seconds; never raises for it."""
    connected = False
    try:
        async with asyncio.timeout(timeout):
            try:
                websocket = await session.ws_connect(
                    url,
                    autoping=True,
                    max_msg_size=MAX_FRAME_CHARS,
                    timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT),
                )
            except aiohttp.WSServerHandshakeError as err:
                return ProbeResult(
                    ProbeOutcome.UNREACHABLE, detail=f"HTTP {err.status}"
                )
            except (aiohttp.ClientError, OSError) as err:
                return ProbeResult(ProbeOutcome.UNREACHABLE, detail=type(err).__name__)
            connected = True
            async with websocket:
                return await _identify(websocket)
    except TimeoutError:
        outcome = ProbeOutcome.UNRECOGNISED if connected else ProbeOutcome.UNREACHABLE
        return ProbeResult(outcome, detail=f"no answer within {timeout:g} s")
    except _Unrecognised as err:
        return ProbeResult(ProbeOutcome.UNRECOGNISED, detail=str(err))


class _Frames:
    """The first MAX_PROBE_FRAMES text frames; anything else is unrecognised."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self._websocket = websocket
        self._count = 0

    async def next(self) -> str:
        if self._count == MAX_PROBE_FRAMES:
            raise _Unrecognised(f"no answer to get_config in {MAX_PROBE_FRAMES} frames")
        self._count += 1
        message = await self._websocket.receive()
        if message.type is aiohttp.WSMsgType.TEXT:
            return str(message.data)
        if message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}:
            code = self._websocket.close_code
            raise _Unrecognised(f"the server closed the connection (code {code})")
        raise _Unrecognised(f"a {message.type.name.lower()} WebSocket message")


async def _identify(websocket: aiohttp.ClientWebSocketResponse) -> ProbeResult:
    await websocket.send_str(
        encode_request(_V1_REQUEST_ID, _V1_GET_CONFIG, {}, _now_ms())
    )
    frames = _Frames(websocket)
    first = await frames.next()
    value = _json(first)
    if isinstance(value, list):
        return _v1_result(first)
    if isinstance(value, dict) and "res" in value:
        request = encode_v05_request(_V05_REQUEST_ID, _V05_GET_CONFIG, {}, _now_ms())
        await websocket.send_str(frame_request(request, []))
        return await _v05_result(frames)
    raise _Unrecognised(f"a JSON {type(value).__name__}: {_excerpt(first)}")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError, RecursionError:
        raise _Unrecognised(
            f"a text frame that is not JSON: {_excerpt(text)}"
        ) from None


def _v1_result(text: str) -> ProbeResult:
    try:
        frame = decode_v1_frame(text)
    except ClearNodeProtocolError as err:
        raise _Unrecognised(str(err)) from None
    if frame.request_id != _V1_REQUEST_ID or frame.method != _V1_GET_CONFIG:
        raise _Unrecognised(f"an unrelated v1 frame: {_excerpt(text)}")
    if frame.kind is FrameKind.ERROR:
        return ProbeResult(ProbeOutcome.V1_UNSUPPORTED, detail=frame.error_reason)
    try:
        config = NodeConfig.from_wire(frame.payload)
    except ClearNodeProtocolError as err:
        raise _Unrecognised(str(err)) from None
    address = to_checksum_address(config.node_address)
    try:
        config.require_supported()
    except ClearNodeUnsupportedNodeError as err:
        return ProbeResult(
            ProbeOutcome.V1_UNSUPPORTED, address, config.node_version, str(err)
        )
    return ProbeResult(ProbeOutcome.V1, address, config.node_version)


async def _v05_result(frames: _Frames) -> ProbeResult:
    while True:
        text = await frames.next()
        try:
            frame = decode_v05_frame(text)
        except ClearNodeProtocolError as err:
            raise _Unrecognised(str(err)) from None
        if frame.request_id != _V05_REQUEST_ID:
            continue  # the assets push, the refusal of the v1 frame
        if frame.kind is FrameKind.ERROR:
            return ProbeResult(ProbeOutcome.V05, detail=frame.error_reason)
        try:
            config = broker_config(mapping(frame.payload, "get_config"))
        except ClearNodeProtocolError as err:
            raise _Unrecognised(str(err)) from None
        return ProbeResult(ProbeOutcome.V05, config.broker_address)
