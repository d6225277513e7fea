"""ClearNode v0.5 client: the handshake, signed requests and the typed methods.

Over 400 lines because it is the whole v0.5 API in one class, fifteen methods of a
few lines each; what they share lives beside it (the login in :mod:`.auth`, request
rules in :mod:`.app_sessions`, answers in :mod:`.parsing`, reconnection in
:mod:`..reconnect`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from decimal import Decimal
import time
from typing import Any, Literal

import aiohttp

from .. import validation
from ..addresses import parse_address
from ..amounts import format_amount
from ..base import Dialect, Feature
from ..connection import Connection
from ..digests import keccak256
from ..errors import (
    ClearNodeAuthenticationError,
    ClearNodeFaucetError,
    ClearNodeInvalidAnswerError,
    ClearNodeProtocolError,
    ClearNodeValidationError,
)
from ..frames import FrameKind, InboundFrame
from ..models import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    Asset,
    Balance,
    BrokerConfig,
    ClearNodeEvent,
    ConnectionState,
    Resynced,
    Transaction,
)
from ..reconnect import ReconnectingClient
from ..signing import Signer
from . import codec, parsing
from .app_sessions import (
    PAGE_LIMIT,
    app_session_id,
    check_result,
    create_params,
    listing_params,
    state_params,
)
from .auth import Login, LoginPolicy
from .broker import SignatureVerifier, trusted_broker
from .pushes import push_event

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


class ClearNodeClient(ReconnectingClient):
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
        super().__init__(
            session,
            url,
            wallet_key,
            codec.decode_frame,
            node_address=node_address,
            request_timeout=request_timeout,
            max_in_flight=max_in_flight,
            ping_interval=ping_interval,
            reconnect_min_delay=reconnect_min_delay,
            reconnect_max_delay=reconnect_max_delay,
        )
        self._application = application
        policy = LoginPolicy(
            application=application,
            scope=scope,
            allowances=tuple(
                (asset, validation.amount(amount, "allowances"))
                for asset, amount in (allowances or {}).items()
            ),
            key_lifetime=session_key_lifetime,
        )
        self._login = Login(self._wallet, policy, self._send)
        self._broker: SignatureVerifier | None = None

    # Public state ------------------------------------------------------------

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
    def stats(self) -> dict[str, Any]:
        """Counters for diagnostics (no secrets)."""
        key = self._login.session_key
        return {
            **super().stats,
            "session_key_expires_at": key.expires_at if key else None,
            "authenticated": self._login.authenticated,
        }

    # Connection hooks ------------------------------------------------------------------

    async def _establish(self, connection: Connection) -> None:
        frame = await self._request("get_config", {}, signed=False, verify=False)
        config = parsing.answer(frame, "get_config", parsing.broker_config)
        expected = self._broker.address if self._broker else self._pinned_node
        try:
            verifier = await trusted_broker(config, frame, expected)
        except ClearNodeProtocolError as err:
            self._on_rejected(str(err))
            raise
        self._broker = verifier
        await connection.trust(verifier)
        self._set_state(ConnectionState.AUTHENTICATING)
        await self._login.login()

    async def _keepalive(self) -> None:
        if self._login.rotation_due():
            await self._login.rotate()
        else:
            await self.ping()

    def _keepalive_delay(self) -> float:
        return self._login.keepalive_delay(self._ping_interval)

    def _on_disconnected(self) -> None:
        self._login.disconnected()

    def _push_event(self, frame: InboundFrame) -> ClearNodeEvent | None:
        return push_event(frame)

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

    # Requests -------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        params: dict[str, Any],
        *,
        signed: bool,
        verify: bool = True,
        retry: bool = True,
    ) -> InboundFrame:
        """Send one request; with ``retry``, repeat it once after a lost login or key."""
        signer: Signer | None = None

        async def build(request_id: int) -> str:
            nonlocal signer
            signer = self._login.signer() if signed else None
            req_text = codec.encode_request(request_id, method, params, codec.now_ms())
            signatures = []
            if signer is not None:
                digest = keccak256(req_text.encode())
                signatures.append(await signer.async_sign_digest(digest))
            return codec.frame_request(req_text, signatures)

        frame = await self._send(method, build, verify=verify)
        if frame.kind is not FrameKind.ERROR:
            return frame
        await self._login.recover(method, frame.error_reason, signer, retry=retry)
        return await self._request(
            method, params, signed=signed, verify=verify, retry=False
        )

    async def _call[T](
        self,
        method: str,
        params: dict[str, Any],
        parse: Callable[[Mapping[str, Any]], T],
        *,
        signed: bool = False,
    ) -> T:
        frame = await self._request(method, params, signed=signed)
        return parsing.answer(frame, method, parse)

    # Methods ------------------------------------------------------------------------

    async def ping(self) -> None:
        """Round-trip an RPC ``ping`` (answered by ``pong``)."""
        parsing.check_method(await self._request("ping", {}, signed=False), "pong")

    async def get_config(self) -> BrokerConfig:
        """Return the broker's address and networks."""
        return await self._call("get_config", {}, parsing.broker_config)

    async def get_assets(self, chain_id: int | None = None) -> tuple[Asset, ...]:
        """Return the supported assets (optionally of one chain)."""
        params = {} if chain_id is None else {"chain_id": chain_id}
        return await self._call(
            "get_assets",
            params,
            lambda d: parsing.parse_list(d, "assets", parsing.asset),
        )

    async def get_ledger_balances(
        self, account_id: str | None = None
    ) -> tuple[Balance, ...]:
        """Return our unified balance, or our share in app session ``account_id``."""
        params = {} if account_id is None else {"account_id": account_id}
        return await self._call(
            "get_ledger_balances",
            params,
            lambda d: parsing.parse_list(d, "ledger_balances", parsing.balance),
            signed=True,
        )

    async def get_balances(self, wallet: str | None = None) -> tuple[Balance, ...]:
        """Return our unified balance (a v0.5 ClearNode shows no other wallet's)."""
        if wallet is not None and parse_address(wallet, "wallet") != (
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
        limit: int = PAGE_LIMIT,
        sort: str | None = None,
    ) -> tuple[AppSession, ...]:
        """Return one page of app sessions (allocations unknown: ``None``)."""
        params = listing_params(participant, status, offset, limit, sort)
        return await self._call(
            "get_app_sessions",
            params,
            lambda d: parsing.parse_list(d, "app_sessions", parsing.app_session),
        )

    async def iter_app_sessions(
        self,
        *,
        participant: str | None = None,
        status: str | None = None,
        page_size: int = PAGE_LIMIT,
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
            parsing.app_definition,
        )

    async def create_app_session(
        self,
        definition: AppDefinition,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Create an app session funded by our wallet; its id is checked locally."""
        params, expected_id = create_params(
            definition,
            allocations,
            session_data,
            application=self._application,
            wallet=self.wallet_address,
        )
        result = await self._call(
            "create_app_session", params, parsing.app_session_result, signed=True
        )
        if result.app_session_id != expected_id:
            msg = "the ClearNode answered with another app session id"
            raise ClearNodeInvalidAnswerError(msg)
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
        return await self._change_state(
            "submit_app_state", session, allocations, change, session_data
        )

    async def close_app_session(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Close a session, redistributing its holdings exactly."""
        return await self._change_state(
            "close_app_session", session, allocations, "close", session_data
        )

    async def _change_state(
        self,
        method: str,
        session: AppSession,
        allocations: Sequence[Allocation],
        change: validation.Intent | Literal["close"],
        session_data: str | None,
    ) -> AppSessionResult:
        params, version = state_params(
            session, allocations, change, session_data, wallet=self.wallet_address
        )
        result = await self._call(
            method, params, parsing.app_session_result, signed=True
        )
        check_result(result, session, version)
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
            lambda d: parsing.parse_list(d, "transactions", parsing.transaction),
            signed=True,
        )

    async def release_credentials(self) -> None:
        """Revoke our session key: a removed entry leaves no key that can sign."""
        await self.revoke_session_key()

    async def request_test_tokens(self) -> Balance:
        """Refuse: a ClearNode v0.5 has no faucet."""
        raise ClearNodeFaucetError("a ClearNode v0.5 has no faucet")

    async def revoke_session_key(self) -> None:
        """Revoke the session key this client logged in with (it signs its own revocation).

        Requests that need a signature fail afterwards until the next login, which
        registers a new key. Never retried: a new login would leave a live key behind.
        """
        key = self._login.session_key
        if key is None:
            msg = "not logged in"
            raise ClearNodeAuthenticationError(msg)
        frame = await self._request(
            "revoke_session_key",
            {"session_key": key.signer.address},
            signed=True,
            retry=False,
        )
        parsing.check_method(frame, "revoke_session_key")
        self._login.revoked()
