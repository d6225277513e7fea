"""ClearNode v0.5 client: login, typed methods, pushes, keepalive and reconnection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
import contextlib
from decimal import Decimal
import logging
import random
import time
from typing import Any, Literal

import aiohttp

from . import validation
from .amounts import format_amount
from .base import Dialect, Feature, Subscriber
from .codec import (
    FrameKind,
    InboundFrame,
    app_session_id,
    decode_frame,
    encode_request,
    frame_request,
)
from .connection import Connection, RequestIds, cancel_and_wait, verify_frame
from .errors import (
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeConnectionError,
    ClearNodeError,
    ClearNodeProtocolError,
    ClearNodeSessionKeyError,
    ClearNodeTimeoutError,
    ClearNodeValidationError,
    rejected_error,
)
from .models import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    AppSessionUpdated,
    Asset,
    AssetsUpdated,
    Balance,
    BalancesUpdated,
    BrokerConfig,
    Channel,
    ChannelsUpdated,
    ClearNodeEvent,
    ConnectionState,
    ConnectionStateChanged,
    FrameRejected,
    Resynced,
    Transaction,
    TransfersReceived,
    parse_list,
)
from .signing import SignatureVerifier, Signer, eip712_auth_digest
from .throttle import ThrottledWarning

_LOGGER = logging.getLogger(__package__)
FEATURES = frozenset(
    {
        Feature.PUSHES,
        Feature.LOGIN,
        Feature.SERVER_SPENDING_CAPS,
        Feature.SESSION_KEYS,
        Feature.TIMESTAMP_WINDOW,
        Feature.SESSION_PROTOCOLS,
    }
)
_ROTATE_AT = 0.8  # share of the session key's lifetime after which it is replaced
# 2**64 times any minimum delay is beyond any useful maximum; a larger exponent would
# only risk a float overflow after ~1024 failed attempts.
_MAX_BACKOFF_EXPONENT = 64
_WS_CLOSE_TIMEOUT = 2.0
_SESSION_KEY_REFUSALS = ("session key", "signer is already in use")
_LOGIN_LOST = frozenset(
    {"authentication required", "session expired, please re-authenticate"}
)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _retry_delay(failures: int, low: float, high: float) -> float:
    """Return the pause before the next attempt: full jitter, at most ``high``.

    Uniform below ``min(high, low * 2**failures)``, and never shorter than ``low / 10``.
    """
    ceiling = min(high, low * 2.0 ** min(failures, _MAX_BACKOFF_EXPONENT))
    return max(random.uniform(0, ceiling), low / 10)  # noqa: S311 - jitter, not secrets


def _mapping(payload: Any, method: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        msg = f"unexpected {method} answer"
        raise ClearNodeProtocolError(msg)
    return payload


def _allocations_wire(allocations: Sequence[Allocation]) -> list[dict[str, str]]:
    return [
        {
            "participant": a.participant,
            "asset": a.asset,
            "amount": format_amount(a.amount),
        }
        for a in allocations
    ]


def _definition_wire(definition: AppDefinition) -> dict[str, Any]:
    return {
        "application": definition.application,
        "protocol": definition.protocol,
        "participants": list(definition.participants),
        "weights": list(definition.weights),
        "quorum": definition.quorum,
        "challenge": definition.challenge,
        "nonce": definition.nonce,
    }


class _SessionKey:
    """A session key and the moment it stops being valid (unix seconds)."""

    __slots__ = ("expires_at", "lifetime", "signer")

    def __init__(self, signer: Signer, lifetime: float) -> None:
        self.signer = signer
        self.lifetime = lifetime
        self.expires_at = int(time.time() + lifetime)

    def due_for_rotation(self) -> bool:
        return time.time() >= self.expires_at - self.lifetime * (1 - _ROTATE_AT)


class ClearNodeClient:
    """One wallet's connection to one ClearNode (protocol v0.5, NitroRPC/0.4)."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        url: str,
        wallet_key: str,
        *,
        application: str = "home-assistant",
        allowances: Mapping[str, Decimal] | None = None,
        session_key_lifetime: float = 86400.0,
        request_timeout: float = 10.0,
        max_in_flight: int = 64,
        ping_interval: float = 30.0,
        scope: str = "app.create",
        reconnect_min_delay: float = 1.0,
        reconnect_max_delay: float = 60.0,
        node_address: str | None = None,
    ) -> None:
        """Prepare a client; nothing is sent before :meth:`connect` or :meth:`run`.

        With ``node_address`` (the broker's address) the client refuses a ClearNode whose
        ``get_config`` names another broker; without it, it trusts the first it meets.
        """
        try:
            self._wallet = Signer.from_key(wallet_key)
        except ClearNodeValidationError:
            raise ClearNodeValidationError(
                field="wallet_key", message="not a 32-byte hex private key"
            ) from None
        self._session = session
        self._url = url
        self._application = application
        self._allowances = tuple(
            (asset, validation.amount(amount, "allowances"))
            for asset, amount in (allowances or {}).items()
        )
        self._key_lifetime = session_key_lifetime
        self._request_timeout = request_timeout
        self._max_in_flight = max_in_flight
        self._ping_interval = ping_interval
        self._scope = scope
        self._backoff = (reconnect_min_delay, reconnect_max_delay)
        self._pinned_broker = (
            None
            if node_address is None
            else validation.address(node_address, "node_address")
        )
        self._ids = RequestIds()
        self._subscribers: list[Subscriber] = []
        self._connection: Connection | None = None
        self._maintenance: asyncio.Task[None] | None = None
        self._broker: SignatureVerifier | None = None
        self._session_key: _SessionKey | None = None
        self._signing_key: Signer | None = None
        self._jwt: str | None = None
        self._state = ConnectionState.DISCONNECTED
        self._closing = asyncio.Event()
        self._auth_lock = asyncio.Lock()
        self._authenticated = False
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
        self._warn_key_replaced = ThrottledWarning(
            _LOGGER,
            "The ClearNode no longer knows our session key (replaced by another login "
            "of this wallet and application, lost, or expired); logging in with a new "
            "one after it refused",
        )

    def __repr__(self) -> str:
        """Show the endpoint and wallet address, never a key or token."""
        return f"ClearNodeClient(url={self._url!r}, wallet={self.wallet_address})"

    # Public state ------------------------------------------------------------

    @property
    def wallet_address(self) -> str:
        """The wallet's EIP-55 address."""
        return self._wallet.address

    @property
    def dialect(self) -> Dialect:
        """ClearNode v0.5."""
        return Dialect.V05

    @property
    def features(self) -> frozenset[Feature]:
        """Pushes, a login, session keys with server-side caps, a timestamp window."""
        return FEATURES

    @property
    def node_address(self) -> str | None:
        """The broker's EIP-55 address, known after the first ``get_config``."""
        return self._broker.address if self._broker else None

    @property
    def node_version(self) -> str | None:
        """A v0.5 ClearNode does not report its version."""
        return None

    @property
    def state(self) -> ConnectionState:
        """Where the connection stands."""
        return self._state

    @property
    def stats(self) -> dict[str, Any]:
        """Counters for diagnostics (no secrets)."""
        key = self._session_key
        return {
            **self._counters,
            "last_message_at": self._last_message_at,
            "in_flight": self._connection.in_flight if self._connection else 0,
            "session_key_expires_at": key.expires_at if key else None,
            "authenticated": self._authenticated,
        }

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Deliver events to ``callback`` (on the event loop); returns unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    # Lifecycle ----------------------------------------------------------------

    async def connect(self) -> None:
        """Open the socket, read the broker config and log in; raise on failure.

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
            await self._pause(_retry_delay(failures, *self._backoff))
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
                timeout=aiohttp.ClientWSTimeout(ws_close=_WS_CLOSE_TIMEOUT),
                autoping=True,
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as err:
            msg = f"cannot connect to the ClearNode ({type(err).__name__})"
            raise ClearNodeConnectionError(msg) from None
        connection = Connection(
            websocket, decode_frame, self, self._ids, max_in_flight=self._max_in_flight
        )
        self._connection = connection
        connection.start()
        return connection

    async def _establish(self, connection: Connection) -> None:
        frame = await self._request("get_config", {}, signed=False, verify=False)
        config = self._expect(frame, "get_config", BrokerConfig.from_wire)
        expected = self._broker.address if self._broker else self._pinned_broker
        if expected is not None and config.broker_address != expected:
            raise ClearNodeBrokerChangedError(expected, config.broker_address)
        verifier = SignatureVerifier(config.broker_address)
        if not await verify_frame(verifier, frame):
            self._on_rejected("get_config not signed by the broker it names")
            msg = "get_config is not signed by the broker it names"
            raise ClearNodeProtocolError(msg)
        self._broker = verifier
        await connection.trust(verifier)
        self._set_state(ConnectionState.AUTHENTICATING)
        await self._login()

    async def _drop(self) -> None:
        maintenance, self._maintenance = self._maintenance, None
        connection, self._connection = self._connection, None
        await cancel_and_wait(maintenance)
        if connection is not None:
            await connection.close()

    async def resync(self) -> None:
        """Re-read balances and open app sessions and emit them as Resynced.

        Useful when a state-changing request timed out: the server may have applied it
        without answering, and it pushes nothing for created or closed sessions.
        """
        read_started = time.monotonic()
        balances = await self.get_ledger_balances()
        sessions = [
            s
            async for s in self.iter_app_sessions(
                participant=self.wallet_address, status="open"
            )
        ]
        self._emit(Resynced(balances, tuple(sessions), read_started))

    # Keepalive and session-key rotation -----------------------------------------

    async def _maintain(self, connection: Connection) -> None:
        while not connection.closed:
            await asyncio.sleep(self._maintenance_delay())
            try:
                if self._session_key and self._session_key.due_for_rotation():
                    await self._rotate_session_key()
                else:
                    await self.ping()
            except ClearNodeTimeoutError:
                await connection.abort(
                    ClearNodeConnectionError("the ClearNode stopped answering")
                )
            except ClearNodeConnectionError:
                return
            except ClearNodeError as err:
                _LOGGER.warning("ClearNode keepalive failed: %s", err)

    def _maintenance_delay(self) -> float:
        key = self._session_key
        if key is None:
            return self._ping_interval
        rotate_in = key.expires_at - key.lifetime * (1 - _ROTATE_AT) - time.time()
        return max(min(self._ping_interval, rotate_in), 0.0) or self._ping_interval

    async def _rotate_session_key(self) -> None:
        _LOGGER.debug("Replacing the ClearNode session key before it expires")
        async with self._auth_lock:
            await self._login_with_challenge(await self._new_session_key())

    # Login --------------------------------------------------------------------

    async def _login(self) -> None:
        async with self._auth_lock:
            await self._login_unlocked()

    async def _login_unlocked(self) -> None:
        self._authenticated = False
        key = self._session_key
        if self._jwt and key and not key.due_for_rotation():
            try:
                await self._login_with_jwt(self._jwt, key)
            except ClearNodeAuthenticationError as err:
                _LOGGER.debug("JWT refused (%s); signing a fresh challenge", err)
                self._jwt = None
            else:
                return
        if key is None or key.due_for_rotation():
            key = await self._new_session_key()
        try:
            await self._login_with_challenge(key)
        except ClearNodeSessionKeyError:
            await self._login_with_challenge(await self._new_session_key())

    async def _new_session_key(self) -> _SessionKey:
        if self._wallet.fast:
            signer = Signer.generate()
        else:
            signer = await asyncio.get_running_loop().run_in_executor(
                None, Signer.generate
            )
        return _SessionKey(signer, self._key_lifetime)

    async def _login_with_jwt(self, jwt: str, key: _SessionKey) -> None:
        frame = await self._auth_call("auth_verify", {"jwt": jwt})
        self._check_auth_result(frame, key)
        self._session_key, self._signing_key = key, key.signer
        self._authenticated = True

    async def _login_with_challenge(self, key: _SessionKey) -> None:
        allowances = [
            {"asset": asset, "amount": format_amount(amount)}
            for asset, amount in self._allowances
        ]
        frame = await self._auth_call(
            "auth_request",
            {
                "address": self.wallet_address,
                "session_key": key.signer.address,
                "application": self._application,
                "allowances": allowances,
                "expires_at": key.expires_at,
                "scope": self._scope,
            },
            expect="auth_challenge",
        )
        challenge = _mapping(frame.payload, "auth_challenge").get("challenge_message")
        if not isinstance(challenge, str):
            msg = "auth_challenge carries no challenge"
            raise ClearNodeProtocolError(msg)
        signature = await self._sign_challenge(challenge, key)
        previous = self._signing_key
        try:
            frame = await self._auth_call(
                "auth_verify", {"challenge": challenge}, signature, switch_to=key
            )
            self._check_auth_result(frame, key)
        except BaseException:
            self._signing_key = previous
            raise
        jwt = _mapping(frame.payload, "auth_verify").get("jwt_token")
        self._jwt = jwt if isinstance(jwt, str) and jwt else None
        self._session_key = key
        self._authenticated = True

    async def _sign_challenge(self, challenge: str, key: _SessionKey) -> str:
        digest = eip712_auth_digest(
            self._application,
            challenge,
            self._scope,
            self.wallet_address,
            key.signer.address,
            key.expires_at,
            self._allowances,
        )
        if self._wallet.fast:
            return self._wallet.sign_digest(digest)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._wallet.sign_digest, digest)

    async def _auth_call(
        self,
        method: str,
        params: dict[str, Any],
        signature: str | None = None,
        *,
        expect: str | None = None,
        switch_to: _SessionKey | None = None,
    ) -> InboundFrame:
        async def build(request_id: int) -> str:
            if switch_to is not None:
                # From this frame on, the server knows the new key: sign with it.
                self._signing_key = switch_to.signer
            req_text = encode_request(request_id, method, params, _now_ms())
            return frame_request(req_text, [signature] if signature else [])

        frame = await self._send(method, build, verify=True)
        if frame.kind is FrameKind.ERROR:
            reason = frame.error_reason
            if any(text in reason for text in _SESSION_KEY_REFUSALS):
                raise ClearNodeSessionKeyError(f"session key refused: {reason}")
            raise ClearNodeAuthenticationError(f"login refused: {reason}")
        self._check_method(frame, expect or method)
        return frame

    def _check_auth_result(self, frame: InboundFrame, key: _SessionKey) -> None:
        result = _mapping(frame.payload, "auth_verify")
        if result.get("success") is False or result.get("address") != (
            self.wallet_address
        ):
            msg = "login refused: the ClearNode did not confirm our wallet"
            raise ClearNodeAuthenticationError(msg)
        if result.get("session_key") not in {None, key.signer.address}:
            msg = "the ClearNode confirmed another session key"
            raise ClearNodeSessionKeyError(msg)

    # Requests -------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        build: Callable[[int], Any],
        *,
        verify: bool,
    ) -> InboundFrame:
        connection = self._connection
        if connection is None or connection.closed:
            msg = "not connected to the ClearNode"
            raise ClearNodeConnectionError(msg)
        self._counters["requests"] += 1
        return await connection.request(
            method, build, timeout=self._request_timeout, verify=verify
        )

    async def _request(
        self,
        method: str,
        params: dict[str, Any],
        *,
        signed: bool,
        verify: bool = True,
        retry: bool = True,
    ) -> InboundFrame:
        """Send one request; with ``retry``, repeat it once after a lost login or key.

        Both refusals come before the server changes anything, so the repeated request
        cannot be applied twice.
        """
        signer: Signer | None = None

        async def build(request_id: int) -> str:
            nonlocal signer
            signer = self._current_signer() if signed else None
            req_text = encode_request(request_id, method, params, _now_ms())
            signatures = [] if signer is None else [await self._sign(signer, req_text)]
            return frame_request(req_text, signatures)

        frame = await self._send(method, build, verify=verify)
        if frame.kind is not FrameKind.ERROR:
            return frame
        await self._recover_from_refusal(
            method, frame.error_reason, signer, retry=retry
        )
        return await self._request(
            method, params, signed=signed, verify=verify, retry=False
        )

    async def _recover_from_refusal(
        self,
        method: str,
        reason: str,
        signer: Signer | None,
        *,
        retry: bool,
    ) -> None:
        """Log in again when the refusal allows one more attempt; raise otherwise."""
        if signer is not None and self._refuses_session_key(reason, signer):
            if not retry:
                msg = f"{method}: the ClearNode does not know our session key"
                raise ClearNodeSessionKeyError(msg)
            await self._replace_unknown_session_key(signer, method)
        elif retry and reason in _LOGIN_LOST:
            await self._login()  # the server forgot our login (24 h idle)
        else:
            raise rejected_error(method, reason)

    def _current_signer(self) -> Signer:
        if self._signing_key is None:
            msg = "not logged in"
            raise ClearNodeAuthenticationError(msg)
        return self._signing_key

    @staticmethod
    async def _sign(key: Signer, req_text: str) -> str:
        if key.fast:
            return key.sign_message(req_text)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, key.sign_message, req_text)

    def _refuses_session_key(self, reason: str, key: Signer) -> bool:
        """Whether the server's error means it maps ``key`` to no wallet.

        It happens when another login of this wallet and application replaced the
        key, when the server lost it, or when it expired while the JWT still works.
        """
        return reason in {
            "invalid signature",  # transfer, revoke_session_key
            f"missing signature for participant {self.wallet_address}",  # create
            f"signature from unknown participant wallet {key.address}",  # submit, close
        }

    async def _replace_unknown_session_key(self, refused: Signer, method: str) -> None:
        """Log in with a new session key, unless another request already did."""
        async with self._auth_lock:
            if self._signing_key is not refused:
                return
            self._warn_key_replaced(method)
            await self._login_with_challenge(await self._new_session_key())

    @staticmethod
    def _check_method(frame: InboundFrame, expected: str) -> None:
        if frame.method != expected:
            msg = f"expected {expected!r} answer, got {frame.method!r}"
            raise ClearNodeProtocolError(msg)

    def _expect[T](
        self, frame: InboundFrame, method: str, parse: Callable[[Mapping[str, Any]], T]
    ) -> T:
        self._check_method(frame, method)
        return parse(_mapping(frame.payload, method))

    async def _call[T](
        self,
        method: str,
        params: dict[str, Any],
        parse: Callable[[Mapping[str, Any]], T],
        *,
        signed: bool = False,
    ) -> T:
        frame = await self._request(method, params, signed=signed)
        return self._expect(frame, method, parse)

    # Methods ------------------------------------------------------------------------

    async def ping(self) -> None:
        """Round-trip an RPC ``ping`` (answered by ``pong``)."""
        frame = await self._request("ping", {}, signed=False)
        self._check_method(frame, "pong")

    async def get_config(self) -> BrokerConfig:
        """Return the broker's address and networks."""
        return await self._call("get_config", {}, BrokerConfig.from_wire)

    async def get_assets(self, chain_id: int | None = None) -> tuple[Asset, ...]:
        """Return the supported assets (optionally of one chain)."""
        params = {} if chain_id is None else {"chain_id": chain_id}
        return await self._call(
            "get_assets", params, lambda d: parse_list(d, "assets", Asset.from_wire)
        )

    async def get_ledger_balances(
        self, account_id: str | None = None
    ) -> tuple[Balance, ...]:
        """Return our unified balance, or our share in app session ``account_id``."""
        params = {} if account_id is None else {"account_id": account_id}
        return await self._call(
            "get_ledger_balances",
            params,
            lambda d: parse_list(d, "ledger_balances", Balance.from_wire),
            signed=True,
        )

    async def get_balances(self, wallet: str | None = None) -> tuple[Balance, ...]:
        """Return our unified balance (a v0.5 ClearNode shows no other wallet's)."""
        if wallet is not None and validation.address(wallet, "wallet") != (
            self.wallet_address
        ):
            raise ClearNodeValidationError(
                field="wallet", message="a ClearNode v0.5 shows only our own balances"
            )
        return await self.get_ledger_balances()

    async def get_session_share(self, app_session_id: str) -> tuple[Balance, ...]:
        """Return our share, per asset, of an app session."""
        return await self.get_ledger_balances(app_session_id)

    def app_session_id(self, definition: AppDefinition) -> str:
        """Return the id the ClearNode gives a session created from ``definition``."""
        return app_session_id(validation.definition(definition))

    async def get_app_sessions(  # noqa: PLR0913
        self,
        *,
        participant: str | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
    ) -> tuple[AppSession, ...]:
        """Return one page of app sessions (allocations unknown: ``None``)."""
        params: dict[str, Any] = {}
        if participant is not None:
            params["participant"] = validation.address(participant, "participant")
        if status is not None:
            if status not in {"open", "closed"}:
                raise ClearNodeValidationError(field="status", message="open or closed")
            params["status"] = status
        if offset < 0 or not 1 <= limit <= 100:  # noqa: PLR2004 - server maximum
            raise ClearNodeValidationError(
                field="limit", message="1 to 100, offset >= 0"
            )
        params |= {"offset": offset, "limit": limit}
        if sort is not None:
            if sort not in {"asc", "desc"}:
                raise ClearNodeValidationError(field="sort", message="asc or desc")
            params["sort"] = sort
        return await self._call(
            "get_app_sessions",
            params,
            lambda d: parse_list(d, "app_sessions", AppSession.from_wire),
        )

    async def iter_app_sessions(
        self,
        *,
        participant: str | None = None,
        status: str | None = None,
        page_size: int = 100,
    ) -> AsyncGenerator[AppSession]:
        """Yield every matching app session, page by page."""
        offset, seen = 0, set[str]()
        while True:
            page = await self.get_app_sessions(
                participant=participant, status=status, offset=offset, limit=page_size
            )
            for session in page:
                if session.app_session_id not in seen:
                    seen.add(session.app_session_id)
                    yield session
            if len(page) < page_size:
                return
            offset += page_size

    async def get_app_definition(self, app_session_id: str) -> AppDefinition:
        """Return a session's definition (the server leaves ``application`` empty)."""
        return await self._call(
            "get_app_definition",
            {"app_session_id": app_session_id},
            AppDefinition.from_wire,
        )

    async def create_app_session(
        self,
        definition: AppDefinition,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Create an app session funded by our wallet; its id is checked locally."""
        checked = validation.definition(definition)
        if checked.application != self._application:
            raise ClearNodeValidationError(
                field="application",
                message="must be the application the session key is registered for",
            )
        funds = validation.allocations(allocations, checked.participants)
        if any(a.amount > 0 and a.participant != self.wallet_address for a in funds):
            raise ClearNodeValidationError(
                field="allocations",
                message="only our wallet can fund a session it creates alone",
            )
        params: dict[str, Any] = {
            "definition": _definition_wire(checked),
            "allocations": _allocations_wire(funds),
        }
        if session_data is not None:
            params["session_data"] = session_data
        result = await self._call(
            "create_app_session", params, AppSessionResult.from_wire, signed=True
        )
        if result.app_session_id != app_session_id(checked):
            msg = "the ClearNode answered with another app session id"
            raise ClearNodeProtocolError(msg)
        return result

    async def submit_app_state(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        *,
        intent: str = "operate",
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Submit a new state; NitroRPC/0.4 sends the intent and version + 1."""
        change = validation.intent(intent)
        checked = self._check_state_change(session, allocations, change)
        params: dict[str, Any] = {"app_session_id": session.app_session_id}
        expected_version = validation.next_version(session, None)
        if session.protocol == "NitroRPC/0.4":
            params |= {"intent": change, "version": expected_version}
        params["allocations"] = _allocations_wire(checked)
        if session_data is not None:
            params["session_data"] = session_data
        result = await self._call(
            "submit_app_state", params, AppSessionResult.from_wire, signed=True
        )
        self._check_result(result, session, expected_version)
        return result

    async def close_app_session(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Close a session, redistributing its holdings exactly."""
        checked = self._check_state_change(session, allocations, "close")
        params: dict[str, Any] = {
            "app_session_id": session.app_session_id,
            "allocations": _allocations_wire(checked),
        }
        if session_data is not None:
            params["session_data"] = session_data
        result = await self._call(
            "close_app_session", params, AppSessionResult.from_wire, signed=True
        )
        self._check_result(result, session, session.version + 1)
        return result

    async def transfer(
        self, destination: str, allocations: Sequence[tuple[str, Decimal]]
    ) -> tuple[Transaction, ...]:
        """Transfer assets from our unified balance to ``destination``."""
        target, amounts = validation.transfer(
            destination, allocations, self.wallet_address
        )
        params = {
            "destination": target,
            "allocations": [
                {"asset": asset, "amount": format_amount(amount)}
                for asset, amount in amounts
            ],
        }
        return await self._call(
            "transfer",
            params,
            lambda d: parse_list(d, "transactions", Transaction.from_wire),
            signed=True,
        )

    async def release_credentials(self) -> None:
        """Revoke our session key: a removed entry leaves no key that can sign."""
        await self.revoke_session_key()

    async def revoke_session_key(self) -> None:
        """Revoke the session key this client logged in with (it signs its own revocation).

        Requests that need a signature fail afterwards until the next login, which
        registers a new key. Never retried: a new login would leave a live key behind.
        """
        key = self._session_key
        if key is None:
            msg = "not logged in"
            raise ClearNodeAuthenticationError(msg)
        frame = await self._request(
            "revoke_session_key",
            {"session_key": key.signer.address},
            signed=True,
            retry=False,
        )
        self._check_method(frame, "revoke_session_key")
        self._session_key = self._signing_key = self._jwt = None
        self._authenticated = False

    def _check_state_change(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        change: validation.Intent | Literal["close"],
    ) -> tuple[Allocation, ...]:
        checked = validation.state_change(session, allocations, change)
        validation.signers([self.wallet_address], session.participants)
        weights = dict(zip(session.participants, session.weights, strict=False))
        if weights.get(self.wallet_address, 0) < session.quorum:
            raise ClearNodeValidationError(
                field="quorum", message="our weight alone does not reach the quorum"
            )
        return checked

    @staticmethod
    def _check_result(
        result: AppSessionResult, session: AppSession, version: int
    ) -> None:
        if result.app_session_id != session.app_session_id or (
            session.protocol == "NitroRPC/0.4" and result.version != version
        ):
            msg = "the ClearNode answered for another session or version"
            raise ClearNodeProtocolError(msg)

    # ConnectionObserver ----------------------------------------------------------------

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
        self._authenticated = False
        self._set_state(ConnectionState.DISCONNECTED, error)

    def _on_rejected(self, reason: str) -> None:
        self._counters["rejected_frames"] += 1
        self._warn_rejected(reason)
        self._emit(FrameRejected(reason))

    @staticmethod
    def _push_event(frame: InboundFrame) -> ClearNodeEvent | None:
        payload = frame.payload
        match frame.method:
            case "bu":
                return BalancesUpdated(
                    parse_list(payload, "balance_updates", Balance.from_wire)
                )
            case "asu":
                data = _mapping(payload, "asu")
                allocations = parse_list(
                    data, "participant_allocations", Allocation.from_wire
                )
                session = _mapping(data.get("app_session"), "asu")
                return AppSessionUpdated(AppSession.from_wire(session, allocations))
            case "tr":
                return TransfersReceived(
                    parse_list(payload, "transactions", Transaction.from_wire)
                )
            case "assets":
                return AssetsUpdated(parse_list(payload, "assets", Asset.from_wire))
            case "channels":
                return ChannelsUpdated(
                    parse_list(payload, "channels", Channel.from_wire)
                )
            case "cu":
                return ChannelsUpdated((Channel.from_wire(_mapping(payload, "cu")),))
        _LOGGER.debug("Ignoring unknown ClearNode push %r", frame.method)
        return None

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
