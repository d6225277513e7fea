"""Nitronode v1 client: one wallet's connection to one v1 node, behind WalletClient.

A v1 node has no login. Connecting reads its config (the version gate, the pinned
node address), its assets and, the first time, the state that polls compare with;
:mod:`.polling` sends every frame within one frame budget, polls for others'
changes and keeps the connection alive. :meth:`run` re-reads the state after each
reconnect and emits it as one Resynced event, as for v0.5. State changes are the
composite operations of :mod:`.operations`; the node co-signs channel states, not
answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
import time
from typing import Any

import aiohttp

from .. import validation
from ..addresses import to_checksum_address
from ..base import Dialect, Feature
from ..connection import Connection
from ..errors import (
    ClearNodeConnectionError,
    ClearNodeError,
    ClearNodeFaucetError,
    ClearNodeValidationError,
)
from ..models import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    AppSessionUpdated,
    Asset,
    Balance,
    Transaction,
)
from ..ratelimit import DEFAULT_BURST, DEFAULT_RATE, TokenBucket
from . import faucet, validation as rules
from .conversions import session_result
from .hashing import app_session_id
from .models import Asset as NodeAsset, TransactionType
from .node import read_node
from .operations import Operations
from .polling import PollingClient
from .reads import Reads

FEATURES = frozenset({Feature.POLLING, Feature.PUBLIC_READS})
DEFAULT_POLL_INTERVAL = 5.0
# The node pings every 5 s; the Go SDK gives up on it after 15 s of silence.
SILENCE_TIMEOUT = 15.0


def _neutral_assets(assets: Mapping[str, NodeAsset]) -> tuple[Asset, ...]:
    """One asset per token; ``decimals`` is the precision of the asset's amounts."""
    return tuple(
        Asset(
            to_checksum_address(token.address),
            token.blockchain_id,
            asset.symbol,
            asset.decimals,
        )
        for asset in assets.values()
        for token in asset.tokens
    )


class NitronodeClient(PollingClient):
    """One wallet's connection to one Nitronode (protocol v1, v1.3.0 or newer)."""

    def __init__(  # noqa: PLR0913
        self,
        session: aiohttp.ClientSession,
        url: str,
        wallet_key: str,
        *,
        node_address: str | None = None,
        faucet_url: str | None = None,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        request_timeout: float = 10.0,
        max_in_flight: int = 64,
        reconnect_min_delay: float = 1.0,
        reconnect_max_delay: float = 60.0,
        silence_timeout: float = SILENCE_TIMEOUT,
        frame_rate: float = DEFAULT_RATE,
        frame_burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Prepare a client; nothing is sent before :meth:`connect` or :meth:`run`.

        With ``node_address`` the client refuses a node with another address; without
        it, it trusts the first it meets. ``faucet_url`` (see
        :func:`~.faucet.faucet_url_for`) enables :meth:`request_test_tokens`.
        ``clock`` and ``sleep`` drive the poll and ping schedule and the frame budget
        (tests run them on simulated time).
        """
        super().__init__(
            session,
            url,
            wallet_key,
            node_address=node_address,
            poll_interval=poll_interval,
            request_timeout=request_timeout,
            max_in_flight=max_in_flight,
            reconnect_min_delay=reconnect_min_delay,
            reconnect_max_delay=reconnect_max_delay,
            silence_timeout=silence_timeout,
            limiter=TokenBucket(frame_rate, frame_burst, clock=clock, sleep=sleep),
            clock=clock,
            sleep=sleep,
        )
        self._faucet_url = faucet_url
        self._operations: Operations | None = None

    # Public state ------------------------------------------------------------

    @property
    def dialect(self) -> Dialect:
        """Nitronode v1."""
        return Dialect.V1

    @property
    def features(self) -> frozenset[Feature]:
        """Polling and public reads; a faucet where one is known."""
        return FEATURES | {Feature.FAUCET} if self._faucet_url else FEATURES

    @property
    def node_address(self) -> str | None:
        """The node's EIP-55 address, known after the first connect."""
        if self._operations is None:
            return None
        return to_checksum_address(self._operations.node.config.node_address)

    @property
    def node_version(self) -> str | None:
        """The node's version (``v1.4.1``), known after the first connect."""
        return self._operations.node.config.node_version if self._operations else None

    @property
    def stats(self) -> dict[str, Any]:
        """Counters for diagnostics: polls and the frame budget (no secrets)."""
        return {**super().stats, "node_version": self.node_version}

    # Connection hooks ------------------------------------------------------------------

    async def _establish(self, connection: Connection) -> None:
        await self._trust_unsigned(connection)
        node = await read_node(self._call, self.node_address or self._pinned_node)
        if self._operations is None:
            self._operations = Operations(
                self._call,
                self._wallet,
                node,
                applied=self._poller.record,
                observed=self._observed,
            )
        else:
            self._operations.node = node
        await self._start_polling()

    def _reads(self) -> Reads:
        return self._ops()

    def _ops(self) -> Operations:
        if self._operations is None:
            msg = "not connected to the node"
            raise ClearNodeConnectionError(msg)
        return self._operations

    def _observed(self, session: AppSession) -> None:
        for event in self._poller.observe(session):
            self._emit(event)

    # Reads ------------------------------------------------------------------------------

    async def get_assets(self) -> tuple[Asset, ...]:
        """Return the node's assets as read on connecting, one per token and chain."""
        return _neutral_assets(self._ops().node.assets)

    async def get_balances(self, wallet: str | None = None) -> tuple[Balance, ...]:
        """Return a wallet's balances, ours by default (any wallet's are public)."""
        return await self._ops().get_balances(wallet)

    async def get_session_share(self, app_session_id: str) -> tuple[Balance, ...]:
        """Return our share, per asset, of an app session (none if it is unknown)."""
        session = await self._ops().find_session(app_session_id)
        if session is None:
            return ()
        return tuple(
            Balance(allocation.asset, allocation.amount)
            for allocation in session.allocations or ()
            if allocation.participant == self.wallet_address
        )

    async def iter_app_sessions(
        self, *, participant: str | None = None, status: str | None = None
    ) -> AsyncGenerator[AppSession]:
        """Yield the sessions of ``participant`` (ours by default), newest first."""
        async for session in self._ops().sessions(participant, status):
            yield session

    async def get_transactions(
        self, tx_type: TransactionType | None = None, limit: int = 100
    ) -> tuple[Transaction, ...]:
        """Return our newest transactions (up to 100), of one type if given."""
        return await self._ops().transactions(tx_type, limit)

    def app_session_id(self, definition: AppDefinition) -> str:
        """Return the id the node gives a session of ``definition`` (its ABI hash)."""
        return app_session_id(definition)

    # Changes ----------------------------------------------------------------------------

    async def create_app_session(
        self,
        definition: AppDefinition,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Create a session and deposit our allocation, one request per asset.

        Should a deposit be refused, the session is closed again, returning what it
        holds, and the deposit's error raised.
        """
        deposits = rules.funding(definition, allocations, self.wallet_address)
        session = await self._ops().open_session(definition, deposits, session_data)
        return session_result(session)

    async def submit_app_state(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        *,
        intent: str = "operate",
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Submit the next state: a redistribution, a deposit or a withdrawal."""
        ops = self._ops()
        submit = {
            "operate": ops.operate,
            "deposit": ops.deposit,
            "withdraw": ops.withdraw,
        }[validation.intent(intent)]
        return session_result(await submit(session, allocations, session_data))

    async def pay(
        self,
        session: AppSession,
        to: str,
        asset: str,
        amount: Decimal | str,
        session_data: str | None = None,
    ) -> AppSession:
        """Pay ``amount`` of our share to ``to``; return the session after it.

        Should another participant have moved the session on first, the payment is
        rebuilt once on the state re-read (which is emitted as an event), if it
        still fits.
        """
        return await self._ops().pay(session, to, asset, amount, session_data)

    async def close_app_session(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Close a session with these final allocations (a redistribution first if needed).

        If the close fails after the redistribution was accepted, the redistributed
        state is emitted as an event before the error is raised.
        """
        try:
            closed = await self._ops().close(session, allocations, session_data)
        except ClearNodeError:
            self._report_standing_state(session)
            raise
        return session_result(closed)

    def _report_standing_state(self, before: AppSession) -> None:
        latest = self._poller.latest(before.app_session_id)
        if latest is not None and latest.version > before.version:
            self._emit(AppSessionUpdated(latest, latest.version - before.version))

    async def transfer(
        self, destination: str, allocations: Sequence[tuple[str, Decimal]]
    ) -> tuple[Transaction, ...]:
        """Send one asset from our balance to another wallet (one asset per call)."""
        target, amounts = validation.transfer(
            destination, allocations, self.wallet_address
        )
        if len(amounts) > 1:
            raise ClearNodeValidationError(
                field="allocations", message="a v1 node transfers one asset at a time"
            )
        ((asset, amount),) = amounts
        return (await self._ops().transfer(target, asset, amount),)

    async def release_credentials(self) -> None:
        """Nothing to release: the wallet signs everything, no key is registered."""

    async def request_test_tokens(self) -> Balance:
        """Ask the node's faucet for test tokens for our wallet; return what it sent."""
        if self._faucet_url is None:
            raise ClearNodeFaucetError("no faucet is known for this node")
        return await faucet.request_tokens(
            self._session, self._faucet_url, self.wallet_address, self._request_timeout
        )
