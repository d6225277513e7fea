"""One WebSocket to a node: send frames, match answers by id, hand out pushes.

This module knows nothing about a particular wire dialect: it is given a decoder that
turns text into :class:`~.frames.InboundFrame` objects and, once the node's identity
is known, a verifier of the node's signatures. Reconnection lives in
:mod:`.reconnect`; login and methods in the dialect's client.

A request that fails tells whether it may have been applied (see :mod:`.errors`): it
counts as sent from the moment its frame is handed to the socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
import logging
from typing import Protocol

import aiohttp

from .errors import (
    ClearNodeConnectionError,
    ClearNodeConnectionLostError,
    ClearNodeInvalidAnswerError,
    ClearNodeNoAnswerError,
    ClearNodeProtocolError,
    ClearNodeTimeoutError,
)
from .frames import FrameKind, InboundFrame
from .signing import run_crypto

_LOGGER = logging.getLogger(__package__)
MAX_REQUEST_ID = 2**53 - 1
# Larger frames are dropped unread: parsing and verifying them would hold the event
# loop. Far above any answer of the v0.5 server (a page of 100 app sessions ~ 60 KB).
MAX_FRAME_CHARS = 1 << 20
# Pushes that arrive before get_config names the broker wait for its key; the server
# sends one (assets).
MAX_HELD_FRAMES = 16


class FrameVerifier(Protocol):
    """Checks the node's signatures on a frame."""

    @property
    def fast(self) -> bool:
        """Whether a check is cheap enough to run on the event loop."""

    def verify(self, signed_text: str, signatures: Sequence[str]) -> bool:
        """Return True when one of ``signatures`` over ``signed_text`` is the node's."""


async def verify_frame(verifier: FrameVerifier, frame: InboundFrame) -> bool:
    """Check the broker's signature, off the event loop when signing is slow."""
    return await run_crypto(
        verifier.fast, verifier.verify, frame.signed_text, frame.signatures
    )


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel a task and wait until it has ended (unless it is the calling task)."""
    if task is None or task is asyncio.current_task():
        return
    task.cancel()
    await asyncio.wait([task])


class ConnectionObserver(Protocol):
    """What the connection reports to its owner."""

    def on_frame_received(self) -> None:
        """Note that a frame arrived (any frame)."""

    def on_push(self, frame: InboundFrame) -> None:
        """Handle a verified server-initiated notification."""

    def on_frame_rejected(self, reason: str) -> None:
        """Report a frame that was not acted upon."""

    def on_connection_error(self, reason: str) -> None:
        """Report an error frame that answers no request of ours."""

    def on_closed(self, error: ClearNodeConnectionError) -> None:
        """Report that the socket dropped (not by :meth:`Connection.close`)."""


@dataclass(slots=True)
class _Pending:
    method: str
    verify: bool
    future: asyncio.Future[InboundFrame] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    sent: bool = False  # the frame was handed to the socket: it may have arrived


class RequestIds:
    """Monotonic request ids, kept below 2**53 for JavaScript peers."""

    def __init__(self) -> None:
        """Start at 1 (0 is the id of pushes)."""
        self._last = 0

    def next(self) -> int:
        """Return the next id, wrapping to 1 after 2**53 - 1."""
        self._last = self._last % MAX_REQUEST_ID + 1
        return self._last


class Connection:
    """A single WebSocket with a single reader task."""

    def __init__(  # noqa: PLR0913
        self,
        websocket: aiohttp.ClientWebSocketResponse,
        decode: Callable[[str], InboundFrame],
        observer: ConnectionObserver,
        ids: RequestIds,
        *,
        max_in_flight: int,
    ) -> None:
        """Wrap an open WebSocket; call :meth:`start` to begin reading."""
        self._websocket = websocket
        self._decode = decode
        self._observer = observer
        self._ids = ids
        self._slots = asyncio.Semaphore(max_in_flight)
        self._send_lock = asyncio.Lock()
        self._pending: dict[int, _Pending] = {}
        self._unverified: list[InboundFrame] = []
        self._verifier: FrameVerifier | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self._error: ClearNodeConnectionError | None = None

    @property
    def closed(self) -> bool:
        """Whether the socket is gone."""
        return self._closed.is_set()

    @property
    def in_flight(self) -> int:
        """Number of requests waiting for an answer."""
        return len(self._pending)

    def start(self) -> None:
        """Start the reader task."""
        self._reader = asyncio.create_task(self._read(), name="clearnode-reader")

    async def wait_closed(self) -> None:
        """Return once the socket is gone."""
        await self._closed.wait()

    async def trust(self, verifier: FrameVerifier) -> None:
        """Verify frames with ``verifier`` from now on, including those held back."""
        self._verifier = verifier
        held, self._unverified = self._unverified, []
        for frame in held:
            await self._dispatch(frame)

    async def request(
        self,
        method: str,
        build: Callable[[int], Awaitable[str]],
        *,
        timeout: float,
        verify: bool = True,
    ) -> InboundFrame:
        """Send the frame ``build(request_id)`` returns and wait for its answer.

        ``verify=False`` is only for the very first ``get_config``, whose answer names
        the broker; the caller checks that answer's signature itself.
        """
        pending = _Pending(method, verify)
        try:
            async with asyncio.timeout(timeout):
                async with self._slots:
                    await self._send(pending, build)
                    return await pending.future
        except TimeoutError:
            if pending.sent:
                msg = f"no answer to {method} within {timeout:g} s"
                raise ClearNodeNoAnswerError(msg) from None
            msg = f"{method} could not be sent within {timeout:g} s"
            raise ClearNodeTimeoutError(msg) from None

    async def _send(
        self, pending: _Pending, build: Callable[[int], Awaitable[str]]
    ) -> None:
        # Building (signing) and sending happen under one lock, so frames leave in
        # the order they were built; the server handles them in arrival order.
        async with self._send_lock:
            self._raise_if_closed()
            request_id = self._ids.next()
            text = await build(request_id)
            self._pending[request_id] = pending
            pending.future.add_done_callback(
                lambda _: self._pending.pop(request_id, None)
            )
            pending.sent = True
            try:
                await self._websocket.send_str(text)
            except (aiohttp.ClientError, OSError, RuntimeError) as err:
                pending.future.cancel()
                msg = f"cannot send {pending.method}: connection lost"
                raise ClearNodeConnectionError(msg) from err

    def _raise_if_closed(self) -> None:
        if self._error is not None:
            raise ClearNodeConnectionError(str(self._error))

    async def close(self) -> None:
        """Close the socket cleanly; pending requests fail with a connection error."""
        error = ClearNodeConnectionError("connection closed by client")
        await self._terminate(error, notify=False)

    async def abort(self, error: ClearNodeConnectionError) -> None:
        """Drop the socket (dead peer); pending requests fail with ``error``."""
        await self._terminate(error, notify=True)

    async def _terminate(
        self, error: ClearNodeConnectionError, *, notify: bool
    ) -> None:
        self._shutdown(error, notify=notify)
        await cancel_and_wait(self._reader)
        await self._websocket.close()

    async def _read(self) -> None:
        error = ClearNodeConnectionError("the ClearNode closed the connection")
        try:
            async for message in self._websocket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    await self._receive_safely(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    error = ClearNodeConnectionError("connection error")
                    break
                else:
                    self._observer.on_frame_rejected("non-text WebSocket message")
        except TimeoutError:
            # aiohttp's receive timeout: nothing came, not even a ping.
            error = ClearNodeConnectionError("the ClearNode went silent")
        except (aiohttp.ClientError, OSError) as err:
            _LOGGER.debug("ClearNode socket failed: %s", type(err).__name__)
            error = ClearNodeConnectionError("connection lost")
        finally:
            self._shutdown(error, notify=True)

    def _shutdown(self, error: ClearNodeConnectionError, *, notify: bool) -> None:
        if self._error is not None:
            return
        self._error = error
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.set_exception(ClearNodeConnectionLostError(str(error)))
        self._closed.set()
        if notify:
            self._observer.on_closed(error)

    async def _receive_safely(self, text: str) -> None:
        """Handle one frame; nothing a frame holds may end the reader."""
        try:
            await self._receive(text)
        except Exception as err:
            _LOGGER.debug("Unexpected error handling a ClearNode frame", exc_info=True)
            self._observer.on_frame_rejected(f"unexpected {type(err).__name__}")

    async def _receive(self, text: str) -> None:
        self._observer.on_frame_received()
        if len(text) > MAX_FRAME_CHARS:
            self._observer.on_frame_rejected(f"frame of {len(text)} characters")
            return
        try:
            frame = self._decode(text)
        except ClearNodeProtocolError as err:
            self._observer.on_frame_rejected(str(err))
            return
        if self._verifier is None and not self._may_skip_verification(frame):
            self._hold_until_trusted(frame)
            return
        await self._dispatch(frame)

    def _hold_until_trusted(self, frame: InboundFrame) -> None:
        if len(self._unverified) >= MAX_HELD_FRAMES:
            self._observer.on_frame_rejected("too many frames before get_config")
            return
        self._unverified.append(frame)

    def _may_skip_verification(self, frame: InboundFrame) -> bool:
        pending = self._pending.get(frame.request_id)
        return (
            frame.kind is not FrameKind.PUSH
            and pending is not None
            and (not pending.verify)
        )

    async def _verified(self, frame: InboundFrame) -> bool:
        if self._verifier is None:
            return False
        return await verify_frame(self._verifier, frame)

    async def _dispatch(self, frame: InboundFrame) -> None:
        if not self._may_skip_verification(frame) and not await self._verified(frame):
            self._reject_unverified(frame)
            return
        if frame.kind is FrameKind.PUSH:
            self._observer.on_push(frame)
            return
        pending = self._pending.get(frame.request_id)
        if pending is not None:
            if not pending.future.done():
                pending.future.set_result(frame)
        elif frame.kind is FrameKind.ERROR:
            self._observer.on_connection_error(frame.error_reason)
        else:
            _LOGGER.debug("Ignoring a late answer to request %s", frame.request_id)

    def _reject_unverified(self, frame: InboundFrame) -> None:
        reason = f"bad broker signature on {frame.method!r} frame"
        self._observer.on_frame_rejected(reason)
        pending = self._pending.get(frame.request_id)
        if frame.kind is not FrameKind.PUSH and pending and not pending.future.done():
            pending.future.set_exception(ClearNodeInvalidAnswerError(reason))
