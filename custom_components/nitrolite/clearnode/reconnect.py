"""A client that keeps one socket to a node open: the part every dialect shares.

:class:`ReconnectingClient` connects, reconnects with capped, jittered backoff and
resynchronises after each reconnect; it delivers events to subscribers, tracks the
connection state, counts what happened for diagnostics and warns, sparingly, about
frames it rejects. A dialect's client subclasses it and supplies the handshake
(:meth:`~ReconnectingClient._establish`), the re-read
(:meth:`~ReconnectingClient.resync`), the keepalive and the push mapping.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Awaitable, Callable
import contextlib
import logging
import random
import time
from typing import Any

import aiohttp

from .addresses import parse_address
from .base import Subscriber
from .connection import Connection, RequestIds, cancel_and_wait
from .errors import (
    ClearNodeConnectionError,
    ClearNodeError,
    ClearNodeNoAnswerError,
    ClearNodeProtocolError,
    ClearNodeValidationError,
)
from .frames import InboundFrame
from .models import (
    ClearNodeEvent,
    ConnectionState,
    ConnectionStateChanged,
    FrameRejected,
)
from .signing import Signer
from .throttle import ThrottledWarning

_LOGGER = logging.getLogger(__package__)
# 2**64 times any minimum delay is beyond any useful maximum; a larger exponent would
# only risk a float overflow after ~1024 failed attempts.
_MAX_BACKOFF_EXPONENT = 64
_WS_CLOSE_TIMEOUT = 2.0


def retry_delay(failures: int, low: float, high: float) -> float:
    """Return the pause before the next attempt: full jitter, at most ``high``.

    Uniform below ``min(high, low * 2**failures)``, and never shorter than ``low / 10``.
    """
    ceiling = min(high, low * 2.0 ** min(failures, _MAX_BACKOFF_EXPONENT))
    return max(random.uniform(0, ceiling), low / 10)  # noqa: S311 - jitter, not secrets


class ReconnectingClient(ABC):
    """One connection to one node, kept open until :meth:`close`."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        url: str,
        wallet_key: str,
        decode: Callable[[str], InboundFrame],
        *,
        node_address: str | None,
        request_timeout: float,
        max_in_flight: int,
        ping_interval: float,
        reconnect_min_delay: float,
        reconnect_max_delay: float,
        silence_timeout: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Prepare the connection; nothing is sent before :meth:`connect` or :meth:`run`.

        ``node_address`` pins the node: a dialect refuses a node with another address
        before anything is signed; without it, it trusts the first node it meets.
        ``silence_timeout``: drop a connection on which the node sent nothing, not even
        a WebSocket ping, for that long. ``sleep`` paces :meth:`_keepalive` (tests
        replace it to run on simulated time).
        """
        try:
            self._wallet = Signer.from_key(wallet_key)
        except ClearNodeValidationError:
            raise ClearNodeValidationError(
                field="wallet_key", message="not a 32-byte hex private key"
            ) from None
        self._pinned_node = (
            None
            if node_address is None
            else parse_address(node_address, "node_address")
        )
        self._session = session
        self._url = url
        self._decode = decode
        self._request_timeout = request_timeout
        self._max_in_flight = max_in_flight
        self._ping_interval = ping_interval
        self._backoff = (reconnect_min_delay, reconnect_max_delay)
        self._silence_timeout = silence_timeout
        self._sleep = sleep
        self._ids = RequestIds()
        self._subscribers: list[Subscriber] = []
        self._connection: Connection | None = None
        self._maintenance: asyncio.Task[None] | None = None
        self._state = ConnectionState.DISCONNECTED
        self._closing = asyncio.Event()
        self._counters = dict.fromkeys(
            (
                "connects",
                "reconnects",
                "requests",
                "rejected_frames",
                "server_errors",
                "ignored_pushes",
            ),
            0,
        )
        self._last_message_at: float | None = None
        self._warn_rejected = ThrottledWarning(_LOGGER, "Rejected a ClearNode frame")

    # What a dialect supplies --------------------------------------------------------

    @abstractmethod
    async def _establish(self, connection: Connection) -> None:
        """Run the handshake on a fresh connection (identify the node, log in)."""

    @abstractmethod
    async def resync(self) -> None:
        """Re-read the state after a (re)connect and emit it as one event."""

    @abstractmethod
    async def _keepalive(self) -> None:
        """Prove the connection alive (a ping), or do the periodic upkeep due now."""

    @abstractmethod
    def _push_event(self, frame: InboundFrame) -> ClearNodeEvent | None:
        """Map a verified push to an event (None: a push we do not use)."""

    def _keepalive_delay(self) -> float:
        """Return how long to wait before the next :meth:`_keepalive`."""
        return self._ping_interval

    def _on_disconnected(self) -> None:
        """Forget what a dropped connection invalidated (a login, for instance)."""

    def __repr__(self) -> str:
        """Show the endpoint and wallet address, never a key or token."""
        return f"{type(self).__name__}(url={self._url!r}, wallet={self.wallet_address})"

    # Public state ---------------------------------------------------------------------

    @property
    def wallet_address(self) -> str:
        """The wallet's EIP-55 address."""
        return self._wallet.address

    @property
    def state(self) -> ConnectionState:
        """Where the connection stands."""
        return self._state

    @property
    def stats(self) -> dict[str, Any]:
        """Counters for diagnostics (no secrets)."""
        return {
            **self._counters,
            "last_message_at": self._last_message_at,
            "in_flight": self._connection.in_flight if self._connection else 0,
        }

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Deliver events to ``callback`` (on the event loop); returns unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    # Lifecycle -----------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the socket and run the handshake; raise on failure.

        A :meth:`close` while this runs makes it fail and leaves no connection behind.
        """
        self._raise_if_closed()
        await self._drop()
        self._set_state(ConnectionState.CONNECTING)
        try:
            connection = await self._open()
            self._raise_if_closed()  # close() may have come during the handshake
            await self._establish(connection)
            self._raise_if_closed()
        except BaseException as err:
            await self._drop()
            if isinstance(err, ClearNodeError):
                self._set_state(ConnectionState.DISCONNECTED, err)
            raise
        self._counters["connects"] += 1
        self._set_state(ConnectionState.CONNECTED)
        self._maintenance = asyncio.create_task(
            self._maintain(connection), name="clearnode-maintenance"
        )

    async def run(self) -> None:
        """Keep connected until :meth:`close`: reconnect with backoff, then resync.

        Only :meth:`close` or cancellation ends it: an unexpected error is logged and
        the next attempt follows after the longest backoff delay.
        """
        failures = 0
        while not self._closing.is_set():
            try:
                failures = await self._keep_connected(failures)
            except Exception:
                _LOGGER.exception(
                    "Unexpected error while keeping the ClearNode connection"
                )
                failures += 1
                await self._drop()
                await self._pause(self._backoff[1])

    async def close(self) -> None:
        """Close the connection; pending requests fail, :meth:`run` returns."""
        self._closing.set()
        await self._drop()
        self._set_state(ConnectionState.DISCONNECTED)

    async def _keep_connected(self, failures: int) -> int:
        """Wait for the connection to drop, or try once to (re)connect.

        Returns the number of failed attempts since the last success.
        """
        connection = self._connection
        if connection is not None and not connection.closed:
            await connection.wait_closed()
            return 0
        if failures or self._counters["connects"]:
            await self._pause(retry_delay(failures, *self._backoff))
        if self._closing.is_set():
            return failures
        return 0 if await self._reconnect() else failures + 1

    async def _reconnect(self) -> bool:
        try:
            await self.connect()
        except ClearNodeError as err:
            _LOGGER.debug("ClearNode connection attempt failed: %s", err)
            return False
        if self._counters["connects"] > 1:
            self._counters["reconnects"] += 1
        try:
            await self.resync()
        except ClearNodeError as err:
            _LOGGER.debug("ClearNode resync failed: %s", err)
            await self._drop()
            self._set_state(ConnectionState.DISCONNECTED, err)
            return False
        return True

    def _raise_if_closed(self) -> None:
        if self._closing.is_set():
            msg = "the client is closed"
            raise ClearNodeConnectionError(msg)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but return at once when the client is closed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._closing.wait()

    async def _open(self) -> Connection:
        try:
            websocket = await self._session.ws_connect(
                self._url,
                timeout=aiohttp.ClientWSTimeout(
                    ws_receive=self._silence_timeout, ws_close=_WS_CLOSE_TIMEOUT
                ),
                autoping=True,
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as err:
            msg = f"cannot connect to the ClearNode ({type(err).__name__})"
            raise ClearNodeConnectionError(msg) from None
        connection = Connection(
            websocket, self._decode, self, self._ids, max_in_flight=self._max_in_flight
        )
        self._connection = connection
        connection.start()
        return connection

    async def _drop(self) -> None:
        maintenance, self._maintenance = self._maintenance, None
        connection, self._connection = self._connection, None
        await cancel_and_wait(maintenance)
        if connection is not None:
            await connection.close()

    async def _maintain(self, connection: Connection) -> None:
        while not connection.closed:
            await self._sleep(self._keepalive_delay())
            try:
                await self._keepalive()
            except ClearNodeNoAnswerError:
                await connection.abort(
                    ClearNodeConnectionError("the ClearNode stopped answering")
                )
            except ClearNodeConnectionError:
                return
            except ClearNodeError as err:
                _LOGGER.warning("ClearNode keepalive failed: %s", err)

    # Requests --------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        build: Callable[[int], Awaitable[str]],
        *,
        verify: bool = True,
    ) -> InboundFrame:
        """Send the frame ``build(request_id)`` returns; return the answer frame."""
        connection = self._connection
        if connection is None or connection.closed:
            msg = "not connected to the ClearNode"
            raise ClearNodeConnectionError(msg)
        self._counters["requests"] += 1
        return await connection.request(
            method, build, timeout=self._request_timeout, verify=verify
        )

    # ConnectionObserver --------------------------------------------------------------

    def on_frame_received(self) -> None:
        """Note the time of the last frame."""
        self._last_message_at = time.time()

    def on_push(self, frame: InboundFrame) -> None:
        """Turn a verified push into an event."""
        try:
            event = self._push_event(frame)
        except ClearNodeProtocolError as err:
            self._on_rejected(f"{frame.method} push: {err}")
            return
        if event is None:
            self._counters["ignored_pushes"] += 1
        else:
            self._emit(event)

    def on_frame_rejected(self, reason: str) -> None:
        """Count and report a frame that was not acted upon."""
        self._on_rejected(reason)

    def on_connection_error(self, reason: str) -> None:
        """Count and report an error frame answering none of our requests."""
        self._counters["server_errors"] += 1
        self._on_rejected(f"server error for an unknown request: {reason}")

    def on_closed(self, error: ClearNodeConnectionError) -> None:
        """Report a drop we did not ask for; :meth:`run` reconnects."""
        self._on_disconnected()
        self._set_state(ConnectionState.DISCONNECTED, error)

    # Events ----------------------------------------------------------------------------

    def _on_rejected(self, reason: str) -> None:
        self._counters["rejected_frames"] += 1
        self._warn_rejected(reason)
        self._emit(FrameRejected(reason))

    def _set_state(
        self, state: ConnectionState, error: ClearNodeError | None = None
    ) -> None:
        if state is self._state:
            return
        self._state = state
        self._emit(ConnectionStateChanged(state, error))

    def _emit(self, event: ClearNodeEvent) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                _LOGGER.exception("ClearNode event subscriber failed")
