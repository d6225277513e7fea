"""Our home channel of each asset: its latest state and the states we sign on it.

Every deposit and transfer of an asset advances its channel state, so these steps are
serialised here, per asset: :meth:`HomeChannels.lock` is held from reading the latest
state to the node's answer (the app-session operations hold it across a deposit).
Every channel state the node co-signs is verified against ``get_config.node_address``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
import secrets
import time
from typing import Any

from ..addresses import parse_address  # noqa: TID252
from ..errors import ClearNodeProtocolError, ClearNodeValidationError  # noqa: TID252
from ..models import Transaction  # noqa: TID252
from ..signing import Signer, run_crypto  # noqa: TID252
from . import validation as rules
from .channels import ChannelDefinition, ChannelState
from .hashing import pack_state
from .models import Asset, Token, TransactionType
from .node import NodeInfo, Send
from .signing import verify_node_signature
from .state import (
    apply_acknowledgement,
    apply_commit,
    apply_transfer_send,
    next_state,
    sig_validators_bitmap,
    sign_state,
    with_home_channel,
)

type Submit = Callable[[ChannelState], Awaitable[Mapping[str, Any]]]

CHALLENGE_SECONDS = 86400  # the node's minimum; nothing is ever disputed on chain here
_NODE_SIGNATURE_CHARS = 2 + 2 * (1 + 65)  # 0x, the signer type, r, s and v


def new_channel_nonce() -> int:
    """Return a fresh home-channel nonce: milliseconds × 10^6 plus a random part."""
    return time.time_ns() // 1_000_000 * 1_000_000 + secrets.randbelow(1_000_000)


def affordable(state: ChannelState, amount: Decimal) -> None:
    """Refuse to move more out of a channel than ``state`` leaves us."""
    if state.home_ledger.user_balance < amount:
        raise ClearNodeValidationError(
            "amount", f"exceeds this wallet's {state.asset} balance"
        )


class HomeChannels:
    """One wallet's home channels on one node, through ``send``.

    ``node`` may be replaced by what a new connection read; the locks stay.
    """

    def __init__(  # noqa: PLR0913
        self,
        send: Send,
        signer: Signer,
        node: NodeInfo,
        *,
        clock: Callable[[], float],
        channel_nonce: Callable[[], int],
    ) -> None:
        """Act for ``signer``'s wallet on the node ``node`` describes."""
        self.node = node
        self._send = send
        self._signer = signer
        self._clock = clock
        self._channel_nonce = channel_nonce
        self._wallet = signer.address
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, asset: Asset) -> asyncio.Lock:
        """Return the lock that serialises the channel states of ``asset``."""
        return self._locks.setdefault(asset.symbol, asyncio.Lock())

    async def funded_state(self, asset: Asset) -> ChannelState:
        """Return our newest channel state of ``asset``, node-issued ones included.

        An asset the wallet never held has none: a validation error.
        """
        result = await self._send(
            "channels.v1.get_latest_state",
            {
                "wallet": self._wallet.lower(),
                "asset": asset.symbol,
                "only_signed": False,
            },
        )
        state = result.get("state")
        if state is None:
            raise ClearNodeValidationError(
                "asset", f"this wallet holds no {asset.symbol}"
            )
        return ChannelState.from_wire(state)

    async def ensure_home_channel(self, symbol: str) -> ChannelState:
        """Open our home channel of an asset if funds arrived without one.

        The acknowledgement needs no chain: the node opens a ``void`` channel on it.
        Returns the latest state, which then has a home channel.
        """
        asset = self.node.asset(symbol)
        async with self.lock(asset):
            return await self.opened(asset)

    async def opened(self, asset: Asset) -> ChannelState:
        """Return the latest state, opening the home channel first if it has none.

        The caller holds the asset's lock.
        """
        latest = await self.funded_state(asset)
        if latest.home_channel_id is not None:
            return latest
        state, channel, token = self._in_new_channel(next_state(latest), asset)
        state = await self._sign(apply_acknowledgement(state), token)
        result = await self._send(
            "channels.v1.request_creation",
            {"state": state.to_wire(), "channel_definition": channel.to_wire()},
        )
        return await self._cosigned(state, token, result)

    async def commit(
        self,
        latest: ChannelState,
        app_session_id: str,
        amount: Decimal,
        submit: Submit,
    ) -> ChannelState:
        """Sign the commit of ``amount`` at ``latest`` into an app session.

        ``submit`` sends the signed state along with the session's deposit; the
        node's co-signature of its answer is checked. The caller holds the lock.
        """
        affordable(latest, amount)
        token = self.node.token_of(self.node.asset(latest.asset), latest.home_ledger)
        state = apply_commit(next_state(latest), app_session_id, amount)
        state = await self._sign(state, token)
        return await self._cosigned(state, token, await submit(state))

    async def transfer(
        self, destination: str, symbol: str, amount: Decimal | str
    ) -> Transaction:
        """Send ``amount`` of an asset from our channel to another wallet.

        Without a home channel yet, the transfer opens it (``request_creation``).
        """
        target = parse_address(destination, "destination")
        if target == self._wallet:
            raise ClearNodeValidationError("destination", "cannot transfer to yourself")
        asset = self.node.asset(symbol)
        value = rules.asset_amount(asset, amount, "amount")
        async with self.lock(asset):
            latest = await self.funded_state(asset)
            affordable(latest, value)
            if latest.home_channel_id is None:
                state, channel, token = self._in_new_channel(next_state(latest), asset)
                method = "channels.v1.request_creation"
                opening = {"channel_definition": channel.to_wire()}
            else:
                state = next_state(latest)
                token = self.node.token_of(asset, latest.home_ledger)
                method, opening = "channels.v1.submit_state", {}
            state = apply_transfer_send(state, target.lower(), value)
            state = await self._sign(state, token)
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

    def _in_new_channel(
        self, state: ChannelState, asset: Asset
    ) -> tuple[ChannelState, ChannelDefinition, Token]:
        token = self.node.home_token(asset)
        channel = ChannelDefinition(
            self._channel_nonce(),
            CHALLENGE_SECONDS,
            sig_validators_bitmap(self.node.config.supported_sig_validators),
        )
        opened = with_home_channel(
            state,
            channel,
            token.blockchain_id,
            token.address.lower(),
            self.node.config.node_address,
        )
        return opened, channel, token

    async def _sign(self, state: ChannelState, token: Token) -> ChannelState:
        return await run_crypto(
            self._signer.fast, sign_state, state, self._signer, token.decimals
        )

    async def _cosigned(
        self, state: ChannelState, token: Token, result: Mapping[str, Any]
    ) -> ChannelState:
        """Check the node's co-signature of ``state``; return the state carrying it."""
        signature = result.get("signature")
        if not isinstance(signature, str) or len(signature) > _NODE_SIGNATURE_CHARS:
            msg = "the node did not co-sign the channel state"
            raise ClearNodeProtocolError(msg)
        packed = pack_state(state, token.decimals)
        await run_crypto(
            self._signer.fast,
            verify_node_signature,
            packed,
            signature,
            self.node.config.node_address,
        )
        return replace(state, node_sig=signature)
