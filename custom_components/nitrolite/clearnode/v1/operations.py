"""The composite v1 operations: home channel, sessions with deposits, payments, transfers.

Each operation checks its input with the node's rules (:mod:`.validation`), signs with
the wallet alone, sends through a ``send(method, payload) -> result`` callable (which
raises the library's errors for error frames, timeouts and dropped sockets) and turns
the answer into the library's neutral models. Every channel state the node co-signs is
verified against ``get_config.node_address``.

Nothing is retried blindly. The one exception is a payment refused with ``invalid app
session version: expected N, got M``: the session is re-read and the payment rebuilt
once, and only while it still fits. A timeout is passed on as it is: the request may
have been applied.

Callers serialise the changes of one app session (the integration does, per session and
per preset). Channel states, which every deposit and transfer of an asset advances, are
serialised here, per asset.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
import logging
import secrets
import time
from typing import Any

from ..addresses import parse_address, to_checksum_address  # noqa: TID252
from ..errors import (  # noqa: TID252
    ClearNodeBrokerChangedError,
    ClearNodeError,
    ClearNodeProtocolError,
    ClearNodeRejectedError,
    ClearNodeValidationError,
    ClearNodeVersionConflictError,
)
from ..models import (  # noqa: TID252
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    AppSessionStatus,
    Balance,
    Transaction,
)
from ..signing import Signer  # noqa: TID252
from . import validation as rules
from .channels import ChannelDefinition, ChannelState, Ledger
from .hashing import (
    app_session_id,
    app_state_update_hash,
    create_request_hash,
    pack_state,
)
from .models import (
    PROTOCOL,
    AppIntent,
    AppStateUpdate,
    Asset,
    BalanceEntry,
    NodeConfig,
    Token,
    Transaction as NodeTransaction,
    TransactionType,
    app_definition_to_wire,
    app_session_from_wire,
    parse_items,
    parse_page,
)
from .signing import quorum_signature, verify_node_signature
from .state import (
    apply_acknowledgement,
    apply_commit,
    apply_transfer_send,
    next_state,
    sig_validators_bitmap,
    sign_state,
    with_home_channel,
)

_LOGGER = logging.getLogger(__package__)

type Send = Callable[[str, Mapping[str, Any]], Awaitable[Mapping[str, Any]]]
type Seen = Callable[[AppSession], None]

CHALLENGE_SECONDS = 86400  # the node's minimum; nothing is ever disputed on chain here
PAGE_SIZE = 100
# 10,000 open sessions: far beyond any wallet Home Assistant runs.
MAX_PAGES = 100
_NODE_SIGNATURE_CHARS = 2 + 2 * (1 + 65)  # 0x, the signer type, r, s and v
_ADDRESS_CHARS = 42


def _ignore(_session: AppSession) -> None:
    """Default for the sessions an operation reports (a poller takes them)."""


def new_channel_nonce() -> int:
    """Return a fresh home-channel nonce: milliseconds × 10^6 plus a random part."""
    return time.time_ns() // 1_000_000 * 1_000_000 + secrets.randbelow(1_000_000)


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What the operations need to know of the node: its config and its assets."""

    config: NodeConfig
    assets: Mapping[str, Asset]

    def asset(self, symbol: str) -> Asset:
        """Return an asset of the node by symbol (a validation error if it has none)."""
        found = self.assets.get(symbol) if isinstance(symbol, str) else None
        if found is None:
            raise ClearNodeValidationError(
                "asset", f"{symbol} is not an asset of the node"
            )
        return found

    def home_token(self, asset: Asset) -> Token:
        """Return the token a new home channel of ``asset`` holds (the suggested chain)."""
        token = asset.token_on(asset.suggested_blockchain_id)
        if token is None:
            msg = f"{asset.symbol} has no token on its suggested chain"
            raise ClearNodeProtocolError(msg)
        return token

    def token_of(self, asset: Asset, ledger: Ledger) -> Token:
        """Return the token a channel's ledger holds, whose decimals pack its states."""
        token = asset.token_on(ledger.blockchain_id)
        if token is None or token.address.lower() != ledger.token_address.lower():
            msg = f"the {asset.symbol} channel holds a token the node does not list"
            raise ClearNodeProtocolError(msg)
        return token


async def read_node(send: Send, node_address: str | None = None) -> NodeInfo:
    """Read ``get_config`` and ``get_assets``; refuse nodes older than v1.3.0.

    With ``node_address`` (EIP-55), a node with another address is refused before
    anything else is read (ClearNodeBrokerChangedError).
    """
    config = NodeConfig.from_wire(await send("node.v1.get_config", {}))
    actual = to_checksum_address(config.node_address)
    if node_address is not None and actual != node_address:
        raise ClearNodeBrokerChangedError(node_address, actual)
    config.require_supported()
    result = await send("node.v1.get_assets", {})
    assets = parse_items(result, "assets", Asset.from_wire)
    return NodeInfo(config, {asset.symbol: asset for asset in assets})


def next_session(
    session: AppSession,
    update: AppStateUpdate,
    allocations: tuple[Allocation, ...],
) -> AppSession:
    """Return ``session`` as the node holds it after accepting ``update``."""
    status: AppSessionStatus = "closed" if update.intent is AppIntent.CLOSE else "open"
    return replace(
        session,
        status=status,
        version=update.version,
        allocations=allocations,
        session_data=update.session_data or session.session_data,
    )


def created_session(definition: AppDefinition, session_data: str) -> AppSession:
    """Return a session as the node creates it: version 1, nothing allocated."""
    return AppSession(
        app_session_id=app_session_id(definition),
        application=definition.application,
        status="open",
        participants=definition.participants,
        weights=definition.weights,
        quorum=definition.quorum,
        protocol=PROTOCOL,
        challenge=0,
        nonce=definition.nonce,
        version=1,
        session_data=session_data or None,
        created_at="",
        updated_at="",
        allocations=(),
    )


def session_result(session: AppSession) -> AppSessionResult:
    """Return what the neutral client API answers for a session change."""
    return AppSessionResult(session.app_session_id, session.version, session.status)


def _account(value: str) -> str:
    """Wallets in EIP-55; app session ids as they are."""
    return to_checksum_address(value) if len(value) == _ADDRESS_CHARS else value


def transaction(record: NodeTransaction) -> Transaction:
    """Return a v1 transaction record as the neutral model (``tx_type`` by name)."""
    kind = record.tx_type
    name = TransactionType(kind).name.lower() if kind in TransactionType else str(kind)
    return Transaction(
        id=record.id,
        tx_type=name,
        from_account=_account(record.from_account),
        to_account=_account(record.to_account),
        asset=record.asset,
        amount=record.amount,
        created_at=record.created_at,
    )


def _check_created(result: Mapping[str, Any], session: AppSession) -> None:
    answered = (
        result.get("app_session_id"),
        result.get("version"),
        result.get("status"),
    )
    if answered != (session.app_session_id, "1", "open"):
        msg = "create_app_session answered for another session"
        raise ClearNodeProtocolError(msg)


class Operations:
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
        self._send = send
        self._signer = signer
        self._node = node
        self._applied = applied
        self._observed = observed
        self._clock = clock
        self._channel_nonce = channel_nonce
        self._wallet = signer.address
        self._channel_locks: dict[str, asyncio.Lock] = {}

    @property
    def node(self) -> NodeInfo:
        """What the operations know of the node."""
        return self._node

    @node.setter
    def node(self, node: NodeInfo) -> None:
        """Take what a new connection read of the node; channel states stay serialised."""
        self._node = node

    # Reads ---------------------------------------------------------------------

    async def get_balances(self, wallet: str | None = None) -> tuple[Balance, ...]:
        """Return a wallet's off-chain balances (ours by default; reads are public)."""
        owner = self._wallet if wallet is None else parse_address(wallet, "wallet")
        result = await self._send("user.v1.get_balances", {"wallet": owner.lower()})
        entries = parse_items(result, "balances", BalanceEntry.from_wire)
        return tuple(Balance(entry.asset, entry.amount) for entry in entries)

    async def transactions(
        self, tx_type: TransactionType | None = None, limit: int = PAGE_SIZE
    ) -> tuple[Transaction, ...]:
        """Return our newest transactions (at most ``limit``, up to a page)."""
        query: dict[str, Any] = {
            "wallet": self._wallet.lower(),
            "pagination": {"limit": min(limit, PAGE_SIZE)},
        }
        if tx_type is not None:
            query["tx_type"] = int(tx_type)
        result = await self._send("user.v1.get_transactions", query)
        records, _ = parse_page(result, "transactions", NodeTransaction.from_wire)
        return tuple(transaction(record) for record in records)

    async def latest_state(self, asset: str) -> ChannelState | None:
        """Return our newest channel state of ``asset``, node-issued ones included."""
        result = await self._send(
            "channels.v1.get_latest_state",
            {"wallet": self._wallet.lower(), "asset": asset, "only_signed": False},
        )
        state = result.get("state")
        return None if state is None else ChannelState.from_wire(state)

    async def find_session(self, app_session_id: str) -> AppSession | None:
        """Return one app session as the node lists it, None if it has none."""
        result = await self._send(
            "app_sessions.v1.get_app_sessions", {"app_session_id": app_session_id}
        )
        sessions, _ = parse_page(result, "app_sessions", app_session_from_wire)
        return next((s for s in sessions if s.app_session_id == app_session_id), None)

    async def open_sessions(self) -> tuple[AppSession, ...]:
        """Return every open app session we take part in, newest first."""
        return tuple([session async for session in self.sessions(status="open")])

    async def sessions(
        self, participant: str | None = None, status: str | None = None
    ) -> AsyncGenerator[AppSession]:
        """Yield the app sessions of ``participant`` (our wallet by default), newest first.

        Every page is read, up to MAX_PAGES; a session that moves on to the next page
        while they are read is yielded once.
        """
        owner = (
            self._wallet
            if participant is None
            else parse_address(participant, "participant")
        )
        query: dict[str, Any] = {"participant": owner.lower()}
        if status is not None:
            query["status"] = rules.status(status)
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            pagination = {"offset": page * PAGE_SIZE, "limit": PAGE_SIZE}
            result = await self._send(
                "app_sessions.v1.get_app_sessions", query | {"pagination": pagination}
            )
            sessions, metadata = parse_page(
                result, "app_sessions", app_session_from_wire
            )
            for session in sessions:
                if session.app_session_id not in seen:
                    seen.add(session.app_session_id)
                    yield session
            if len(sessions) < PAGE_SIZE or page + 1 >= metadata.page_count:
                return
        listed = " ".join(filter(None, (status, "app sessions")))
        msg = f"more than {MAX_PAGES * PAGE_SIZE} {listed}"
        raise ClearNodeProtocolError(msg)

    # Channels ------------------------------------------------------------------

    async def ensure_home_channel(self, symbol: str) -> ChannelState:
        """Open our home channel of an asset if funds arrived without one.

        The acknowledgement needs no chain: the node opens a ``void`` channel on it.
        Returns the latest state, which then has a home channel.
        """
        asset = self._node.asset(symbol)
        async with self._channel_lock(asset):
            return await self._home_channel(asset)

    async def _home_channel(self, asset: Asset) -> ChannelState:
        latest = await self._funded_state(asset)
        if latest.home_channel_id is not None:
            return latest
        state, channel, token = self._in_new_channel(next_state(latest), asset)
        state = await self._sign_state(apply_acknowledgement(state), token)
        result = await self._send(
            "channels.v1.request_creation",
            {"state": state.to_wire(), "channel_definition": channel.to_wire()},
        )
        return await self._cosigned(state, token, result)

    async def _funded_state(self, asset: Asset) -> ChannelState:
        latest = await self.latest_state(asset.symbol)
        if latest is None:
            raise ClearNodeValidationError(
                "asset", f"this wallet holds no {asset.symbol}"
            )
        return latest

    def _in_new_channel(
        self, state: ChannelState, asset: Asset
    ) -> tuple[ChannelState, ChannelDefinition, Token]:
        token = self._node.home_token(asset)
        channel = ChannelDefinition(
            self._channel_nonce(),
            CHALLENGE_SECONDS,
            sig_validators_bitmap(self._node.config.supported_sig_validators),
        )
        opened = with_home_channel(
            state,
            channel,
            token.blockchain_id,
            token.address.lower(),
            self._node.config.node_address,
        )
        return opened, channel, token

    def _channel_lock(self, asset: Asset) -> asyncio.Lock:
        return self._channel_locks.setdefault(asset.symbol, asyncio.Lock())

    async def _sign_state(self, state: ChannelState, token: Token) -> ChannelState:
        return await self._cpu(sign_state, state, self._signer, token.decimals)

    async def _cosigned(
        self, state: ChannelState, token: Token, result: Mapping[str, Any]
    ) -> ChannelState:
        """Check the node's co-signature of ``state``; return the state carrying it."""
        signature = result.get("signature")
        if not isinstance(signature, str) or len(signature) > _NODE_SIGNATURE_CHARS:
            msg = "the node did not co-sign the channel state"
            raise ClearNodeProtocolError(msg)
        packed = pack_state(state, token.decimals)
        await self._cpu(
            verify_node_signature, packed, signature, self._node.config.node_address
        )
        return replace(state, node_sig=signature)

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
        async with self._channel_lock(asset):
            channel = await self._home_channel(asset)
            # Whatever can fail before the first deposit fails before the create.
            self._affordable(channel, amount)
            self._node.token_of(asset, channel.home_ledger)
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
        asset = self._node.asset(symbol)
        return asset, rules.asset_amount(asset, value, "amount")

    async def _commit_latest(
        self,
        session: AppSession,
        asset: Asset,
        allocations: tuple[Allocation, ...],
        amount: Decimal,
        data: str,
    ) -> AppSession:
        latest = await self._funded_state(asset)
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
        signature = await self._cpu(quorum_signature, self._signer, create_hash)
        result = await self._send(
            "app_sessions.v1.create_app_session",
            {
                "definition": app_definition_to_wire(definition),
                "session_data": data,
                "quorum_sigs": [signature],
            },
        )
        _check_created(result, session)
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
        new = rules.allocations(session, allocations, self._node.assets)
        increase = rules.deposit(current, new, self._wallet)
        data = rules.session_data(session_data)
        asset = self._node.asset(increase.asset)
        async with self._channel_lock(asset):
            latest = await self._home_channel(asset)
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
        self._affordable(latest, amount)
        token = self._node.token_of(self._node.asset(latest.asset), latest.home_ledger)
        update = AppStateUpdate(
            session.app_session_id,
            AppIntent.DEPOSIT,
            session.version + 1,
            allocations,
            data,
        )
        commit = apply_commit(next_state(latest), session.app_session_id, amount)
        commit = await self._sign_state(commit, token)
        payload = await self._signed_update(update)
        result = await self._send(
            "app_sessions.v1.submit_deposit_state",
            payload | {"user_state": commit.to_wire()},
        )
        await self._cosigned(commit, token, result)
        return self._accepted(session, update, allocations)

    def _affordable(self, state: ChannelState, amount: Decimal) -> None:
        if state.home_ledger.user_balance < amount:
            raise ClearNodeValidationError(
                "amount", f"exceeds this wallet's {state.asset} balance"
            )

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
        asset = self._node.asset(symbol)
        new = rules.payment(session, self._wallet, to, asset, amount)
        return await self.operate(session, new, session_data)

    def _fits(
        self, session: AppSession, to: str, symbol: str, amount: Decimal | str
    ) -> bool:
        try:
            rules.payment(session, self._wallet, to, self._node.asset(symbol), amount)
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
        new = rules.allocations(session, allocations, self._node.assets)
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
            new = rules.allocations(session, allocations, self._node.assets)
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
        app_hash = app_state_update_hash(update)
        signature = await self._cpu(quorum_signature, self._signer, app_hash)
        return {"app_state_update": update.to_wire(), "quorum_sigs": [signature]}

    def _accepted(
        self,
        session: AppSession,
        update: AppStateUpdate,
        allocations: tuple[Allocation, ...],
    ) -> AppSession:
        accepted = next_session(session, update, allocations)
        self._applied(accepted)
        return accepted

    # Transfers -------------------------------------------------------------------

    async def transfer(
        self, destination: str, symbol: str, amount: Decimal | str
    ) -> Transaction:
        """Send ``amount`` of an asset from our channel to another wallet.

        Without a home channel yet, the transfer opens it (``request_creation``).
        """
        target = parse_address(destination, "destination")
        if target == self._wallet:
            raise ClearNodeValidationError("destination", "cannot transfer to yourself")
        asset = self._node.asset(symbol)
        value = rules.asset_amount(asset, amount, "amount")
        async with self._channel_lock(asset):
            latest = await self._funded_state(asset)
            self._affordable(latest, value)
            if latest.home_channel_id is None:
                state, channel, token = self._in_new_channel(next_state(latest), asset)
                method = "channels.v1.request_creation"
                opening = {"channel_definition": channel.to_wire()}
            else:
                state = next_state(latest)
                token = self._node.token_of(asset, latest.home_ledger)
                method, opening = "channels.v1.submit_state", {}
            state = apply_transfer_send(state, target.lower(), value)
            state = await self._sign_state(state, token)
            result = await self._send(method, {"state": state.to_wire()} | opening)
            await self._cosigned(state, token, result)
        created_at = datetime.fromtimestamp(self._clock(), UTC).isoformat()
        return Transaction(
            id=state.transition.tx_id,
            tx_type=TransactionType.TRANSFER.name.lower(),
            from_account=self._wallet,
            to_account=target,
            asset=asset.symbol,
            amount=value,
            created_at=created_at,
        )

    # Helpers ---------------------------------------------------------------------

    async def _cpu[**P, T](
        self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Sign or verify inline with the fast backend, else in an executor."""
        if self._signer.fast:
            return function(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: function(*args, **kwargs))
