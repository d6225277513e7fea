"""The composite v1 operations: sessions with deposits, payments, transfers.

Each operation checks its input with the node's rules (:mod:`.validation`), signs with
the wallet alone, sends through a ``send(method, payload) -> result`` callable (which
raises the library's errors for error frames, timeouts and dropped sockets) and turns
the answer into the library's neutral models (:mod:`.conversions`). Our home channels'
states, which every deposit and transfer of an asset advances, are built, serialised
per asset and verified against the node's co-signature in :mod:`.home_channel`.

Nothing is retried blindly. The one exception is a payment refused with ``invalid app
session version: expected N, got M``: the session is re-read and the payment rebuilt
once, and only while it still fits. A timeout is passed on as it is: the request may
have been applied.

Callers serialise the changes of one app session (the integration does, per session and
per preset).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
import logging
import time
from typing import Any

from ..errors import (  # noqa: TID252
    ClearNodeError,
    ClearNodeRejectedError,
    ClearNodeValidationError,
    ClearNodeVersionConflictError,
)
from ..models import Allocation, AppDefinition, AppSession, Transaction  # noqa: TID252
from ..signing import Signer, run_crypto  # noqa: TID252
from . import validation as rules
from .channels import ChannelState
from .conversions import check_created, created_session, next_session
from .hashing import app_state_update_hash, create_request_hash
from .home_channel import HomeChannels, affordable, new_channel_nonce
from .models import AppIntent, AppStateUpdate, Asset, app_definition_to_wire
from .node import NodeInfo, Send
from .reads import Reads
from .signing import quorum_signature

_LOGGER = logging.getLogger(__package__)

type Seen = Callable[[AppSession], None]


def _ignore(_session: AppSession) -> None:
    """Default for the sessions an operation reports (a poller takes them)."""


class Operations(Reads):
    """One wallet's state changes on one node, through ``send``.

    ``applied`` is told every session state the node accepted from us, so that a
    poller does not report our own changes again; ``observed`` every state of a
    session an operation re-read from the node (a payment rebuilt on a newer
    version), which may hold others' changes a poller has not reported yet.
    """

    def __init__(  # noqa: PLR0913
        self,
        send: Send,
        signer: Signer,
        node: NodeInfo,
        *,
        applied: Seen = _ignore,
        observed: Seen = _ignore,
        clock: Callable[[], float] = time.time,
        channel_nonce: Callable[[], int] = new_channel_nonce,
    ) -> None:
        """Act for ``signer``'s wallet on the node ``node`` describes."""
        super().__init__(send, signer.address)
        self._signer = signer
        self._applied = applied
        self._observed = observed
        self._channels = HomeChannels(
            send, signer, node, clock=clock, channel_nonce=channel_nonce
        )

    @property
    def node(self) -> NodeInfo:
        """What the operations know of the node."""
        return self._channels.node

    @node.setter
    def node(self, node: NodeInfo) -> None:
        """Take what a new connection read of the node; channel states stay serialised."""
        self._channels.node = node

    # Home channels -------------------------------------------------------------

    async def ensure_home_channel(self, symbol: str) -> ChannelState:
        """Open our home channel of an asset if funds arrived without one."""
        return await self._channels.ensure_home_channel(symbol)

    async def transfer(
        self, destination: str, symbol: str, amount: Decimal | str
    ) -> Transaction:
        """Send ``amount`` of an asset from our channel to another wallet."""
        return await self._channels.transfer(destination, symbol, amount)

    # App sessions ----------------------------------------------------------------

    async def open_session(
        self,
        definition: AppDefinition,
        deposits: Mapping[str, Decimal | str] | None = None,
        session_data: str | None = None,
    ) -> AppSession:
        """Create a session, then fund it with our ``deposits``, one asset at a time.

        The create and each deposit (one commit per asset) are separate requests. If
        the node refuses a deposit, the session is closed again, returning what it
        holds, and the deposit's error raised; after a timeout it is left as it is
        (the deposit may have been applied).
        """
        definition = rules.definition(definition, self._wallet)
        data = rules.session_data(session_data)
        funding = [
            self._deposit_amount(symbol, value)
            for symbol, value in (deposits or {}).items()
        ]
        if not funding:
            return await self._create(definition, data)
        (asset, amount), *more = funding
        async with self._channels.lock(asset):
            channel = await self._channels.opened(asset)
            # Whatever can fail before the first deposit fails before the create.
            affordable(channel, amount)
            self.node.token_of(asset, channel.home_ledger)
            session = await self._create(definition, data)
            funded = (Allocation(self._wallet, asset.symbol, amount),)
            # A receive may have advanced the channel since: build on the latest.
            session = await self._funding_step(
                session, self._commit_latest(session, asset, funded, amount, data)
            )
        for asset, amount in more:
            raised = (
                *(session.allocations or ()),
                Allocation(self._wallet, asset.symbol, amount),
            )
            session = await self._funding_step(
                session, self.deposit(session, raised, data)
            )
        return session

    def _deposit_amount(
        self, symbol: str, value: Decimal | str
    ) -> tuple[Asset, Decimal]:
        asset = self.node.asset(symbol)
        return asset, rules.asset_amount(asset, value, "amount")

    async def _commit_latest(
        self,
        session: AppSession,
        asset: Asset,
        allocations: tuple[Allocation, ...],
        amount: Decimal,
        data: str,
    ) -> AppSession:
        latest = await self._channels.funded_state(asset)
        return await self._commit(session, latest, allocations, amount, data)

    async def _funding_step(
        self, session: AppSession, deposit: Awaitable[AppSession]
    ) -> AppSession:
        """Run one deposit of a new session; close the session if it is refused."""
        try:
            return await deposit
        except ClearNodeRejectedError, ClearNodeValidationError:
            await self._abandon(session)
            raise

    async def _create(self, definition: AppDefinition, data: str) -> AppSession:
        session = created_session(definition, data)
        create_hash = create_request_hash(definition, data)
        signature = await self._quorum_signature(create_hash)
        result = await self._send(
            "app_sessions.v1.create_app_session",
            {
                "definition": app_definition_to_wire(definition),
                "session_data": data,
                "quorum_sigs": [signature],
            },
        )
        check_created(result, session)
        self._applied(session)
        return session

    async def _abandon(self, session: AppSession) -> None:
        """Close a new session whose funding was refused, returning what it holds."""
        held = rules.without_zero_shares(session.allocations or ())
        try:
            await self._submit(session, AppIntent.CLOSE, held, "")
        except ClearNodeError as err:
            _LOGGER.warning(
                "Could not close the app session %s after a refused deposit: %s",
                session.app_session_id,
                err,
            )

    async def deposit(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSession:
        """Fund ``session`` from our channel: ``allocations`` raise only our share."""
        current = rules.open_session(session, self._wallet)
        new = rules.allocations(session, allocations, self.node.assets)
        increase = rules.deposit(current, new, self._wallet)
        data = rules.session_data(session_data)
        asset = self.node.asset(increase.asset)
        async with self._channels.lock(asset):
            latest = await self._channels.opened(asset)
            listed = rules.without_zero_shares(new)
            return await self._commit(session, latest, listed, increase.amount, data)

    async def _commit(
        self,
        session: AppSession,
        latest: ChannelState,
        allocations: tuple[Allocation, ...],
        amount: Decimal,
        data: str,
    ) -> AppSession:
        """Move ``amount`` from our channel, at ``latest``, into ``session``.

        The caller holds the channel lock.
        """
        update = AppStateUpdate(
            session.app_session_id,
            AppIntent.DEPOSIT,
            session.version + 1,
            allocations,
            data,
        )

        async def submit(commit: ChannelState) -> Mapping[str, Any]:
            payload = await self._signed_update(update)
            return await self._send(
                "app_sessions.v1.submit_deposit_state",
                payload | {"user_state": commit.to_wire()},
            )

        await self._channels.commit(latest, session.app_session_id, amount, submit)
        return self._accepted(session, update, allocations)

    async def operate(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSession:
        """Redistribute the session's holdings (intent operate)."""
        return await self._change(
            session, AppIntent.OPERATE, rules.operate, allocations, session_data
        )

    async def pay(
        self,
        session: AppSession,
        to: str,
        symbol: str,
        amount: Decimal | str,
        session_data: str | None = None,
    ) -> AppSession:
        """Pay ``amount`` of our share to ``to``.

        If someone else moved the session on first, it is re-read and the payment
        rebuilt on it once, provided the payment still fits.
        """
        try:
            return await self._pay(session, to, symbol, amount, session_data)
        except ClearNodeVersionConflictError:
            fresh = await self.find_session(session.app_session_id)
            if fresh is None:
                raise
            self._observed(fresh)
            if not self._fits(fresh, to, symbol, amount):
                raise
            return await self._pay(fresh, to, symbol, amount, session_data)

    async def _pay(
        self,
        session: AppSession,
        to: str,
        symbol: str,
        amount: Decimal | str,
        session_data: str | None,
    ) -> AppSession:
        asset = self.node.asset(symbol)
        new = rules.payment(session, self._wallet, to, asset, amount)
        return await self.operate(session, new, session_data)

    def _fits(
        self, session: AppSession, to: str, symbol: str, amount: Decimal | str
    ) -> bool:
        try:
            rules.payment(session, self._wallet, to, self.node.asset(symbol), amount)
        except ClearNodeValidationError:
            return False
        return True

    async def withdraw(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSession:
        """Release part of the holdings to the participants' channels."""
        return await self._change(
            session, AppIntent.WITHDRAW, rules.withdraw, allocations, session_data
        )

    async def _change(
        self,
        session: AppSession,
        intent: AppIntent,
        check: Callable[[Sequence[Allocation], Sequence[Allocation]], None],
        allocations: Sequence[Allocation],
        session_data: str | None,
    ) -> AppSession:
        """Check and submit a change of the holdings that the session alone funds."""
        current = rules.open_session(session, self._wallet)
        new = rules.allocations(session, allocations, self.node.assets)
        check(current, new)
        return await self._submit(
            session, intent, new, rules.session_data(session_data)
        )

    async def close(
        self,
        session: AppSession,
        allocations: Sequence[Allocation] | None = None,
        session_data: str | None = None,
    ) -> AppSession:
        """Close the session, releasing every share as it stands.

        Other ``allocations`` than the current ones are applied first by a
        redistribution (two requests; if the close then fails, the redistribution
        stands and has been reported as applied).
        """
        current = rules.open_session(session, self._wallet)
        data = rules.session_data(session_data)
        if allocations is not None:
            new = rules.allocations(session, allocations, self.node.assets)
            if not rules.same_shares(current, new):
                rules.operate(current, new)
                session = await self._submit(session, AppIntent.OPERATE, new, data)
                current = new
        final = rules.without_zero_shares(current)
        return await self._submit(session, AppIntent.CLOSE, final, data)

    async def _submit(
        self,
        session: AppSession,
        intent: AppIntent,
        allocations: tuple[Allocation, ...],
        data: str,
    ) -> AppSession:
        update = AppStateUpdate(
            session.app_session_id, intent, session.version + 1, allocations, data
        )
        await self._send(
            "app_sessions.v1.submit_app_state", await self._signed_update(update)
        )
        return self._accepted(session, update, allocations)

    async def _signed_update(self, update: AppStateUpdate) -> dict[str, Any]:
        signature = await self._quorum_signature(app_state_update_hash(update))
        return {"app_state_update": update.to_wire(), "quorum_sigs": [signature]}

    async def _quorum_signature(self, app_hash: bytes) -> str:
        return await run_crypto(
            self._signer.fast, quorum_signature, self._signer, app_hash
        )

    def _accepted(
        self,
        session: AppSession,
        update: AppStateUpdate,
        allocations: tuple[Allocation, ...],
    ) -> AppSession:
        accepted = next_session(session, update, allocations)
        self._applied(accepted)
        return accepted
