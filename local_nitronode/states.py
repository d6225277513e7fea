"""Channel states on the node's side: parsed, packed and co-signed as the node does.

Also the states the node issues by itself: transfers in, releases from app sessions.

State arithmetic is the library's (``clearnode.v1.state``): the node and the client
advance states with one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

from custom_components.nitrolite.clearnode.v1 import (
    ChannelState,
    Ledger,
    TransactionType,
    Transition,
    TransitionType,
    apply_release,
    apply_transfer_receive,
    canonical_decimal,
    channel_signature,
    next_state,
    pack_state,
    parse_wire_decimal,
    state_id,
    transaction_id,
    void_state,
)

from .context import Node
from .gotypes import parse_uint
from .params import LedgerText, StateText
from .store import OPEN, Channel, Transaction


def transition_type(kind: int) -> TransitionType:
    """Return the transition type; unknown numbers stay ints for the advancer to refuse."""
    return (
        TransitionType(kind) if kind in TransitionType else cast("TransitionType", kind)
    )


def transition_name(kind: int) -> str:
    """core.TransitionType.String()."""
    return TransitionType(kind).name.lower() if kind in TransitionType else "unknown"


def _ledger(text: LedgerText) -> Ledger:
    return Ledger(
        token_address=text.token_address,
        blockchain_id=parse_uint(text.blockchain_id),
        user_balance=parse_wire_decimal(text.user_balance),
        user_net_flow=parse_wire_decimal(text.user_net_flow),
        node_balance=parse_wire_decimal(text.node_balance),
        node_net_flow=parse_wire_decimal(text.node_net_flow),
    )


def to_state(text: StateText) -> ChannelState:
    """unmapStateV1: numbers and amounts parsed, ids and signatures kept as sent.

    ValueError when a number or amount does not parse; the handler answers its own
    fallback text then.
    """
    transition = text.transition
    return ChannelState(
        id=text.id,
        transition=Transition(
            transition_type(transition.type),
            transition.tx_id,
            transition.account_id,
            parse_wire_decimal(transition.amount),
        ),
        asset=text.asset,
        user_wallet=text.user_wallet,
        epoch=parse_uint(text.epoch),
        version=parse_uint(text.version),
        home_channel_id=text.home_channel_id,
        home_ledger=_ledger(text.home_ledger),
        escrow_channel_id=text.escrow_channel_id,
        escrow_ledger=None
        if text.escrow_ledger is None
        else _ledger(text.escrow_ledger),
        user_sig=text.user_sig,
        node_sig=text.node_sig,
    )


def pack(node: Node, state: ChannelState) -> bytes:
    """StatePacker.PackState: the 640 bytes, scaled by the ledger's token decimals.

    Only validated states get here: their token is a configured one, their ledger fits.
    """
    ledger = state.home_ledger
    token = node.config.token(ledger.blockchain_id, ledger.token_address)
    if token is None:
        msg = f"no token {ledger.token_address} on chain {ledger.blockchain_id}"
        raise LookupError(msg)
    return pack_state(state, token.decimals)


def cosign(node: Node, state: ChannelState, packed: bytes) -> ChannelState:
    """Add the node's 0x00 signature over a packed state."""
    return replace(state, node_sig=channel_signature(node.channel_signer, packed))


def state_json(state: ChannelState) -> dict[str, Any]:
    """StateV1 as the node marshals it (amounts in ``String()`` form)."""
    return state.to_wire()


def channel_json(channel: Channel) -> dict[str, Any]:
    """ChannelV1, in struct order."""
    return {
        "channel_id": channel.channel_id,
        "user_wallet": channel.user_wallet,
        "asset": channel.asset,
        "type": channel.kind,
        "blockchain_id": str(channel.blockchain_id),
        "token_address": channel.token_address,
        "challenge_duration": channel.challenge_duration,
        "challenge_expires_at": None,
        "nonce": str(channel.nonce),
        "approved_sig_validators": channel.approved_sig_validators,
        "status": channel.status,
        "state_version": str(channel.state_version),
    }


def record(node: Node, transaction: Transaction) -> None:
    """RecordTransaction."""
    node.store.transactions.append(transaction)


def issue(
    node: Node,
    wallet: str,
    asset: str,
    transition: Callable[[ChannelState], ChannelState],
) -> ChannelState:
    """Append a node-issued state to a wallet's chain; co-signed once the channel is open.

    A ``void`` channel (nothing on chain yet) gets unsigned receive and release states;
    the wallet builds its next state on them all the same.
    """
    current = node.store.last_state(wallet, asset) or void_state(wallet, asset)
    state = transition(next_state(current))
    channel = node.store.home_channel(wallet, asset)
    if state.home_channel_id is not None and channel and channel.status == OPEN:
        state = cosign(node, state, pack(node, state))
    node.store.store_state(state)
    return state


def receive_transfer(
    node: Node, sender: str, recipient: str, asset: str, amount: Decimal, *, tx_id: str
) -> ChannelState:
    """issueTransferReceiverState: credit ``recipient`` with the sender's ``tx_id``."""
    return issue(
        node,
        recipient,
        asset,
        lambda state: apply_transfer_receive(state, sender, amount, tx_id),
    )


def credit_from(
    node: Node, sender: str, recipient: str, asset: str, amount: Decimal
) -> str:
    """Transfer ``amount`` to ``recipient`` from a wallet with no channel (the faucet).

    The node issues the recipient's transfer_receive state and records the transfer;
    returns its transaction id.
    """
    sender_state = state_id(sender, asset, 0, len(node.store.transactions) + 1)
    tx_id = transaction_id(recipient, sender_state)
    received = receive_transfer(node, sender, recipient, asset, amount, tx_id=tx_id)
    record(
        node,
        Transaction(
            tx_id,
            asset,
            TransactionType.TRANSFER,
            sender,
            recipient,
            amount,
            node.clock(),
            receiver_new_state_id=received.id,
        ),
    )
    return tx_id


def release(
    node: Node, participant: str, asset: str, app_session_id: str, amount: Decimal
) -> None:
    """issueReleaseReceiverState: pay a participant's share out of an app session."""
    state = issue(
        node,
        participant,
        asset,
        lambda current: apply_release(current, app_session_id, amount),
    )
    record(
        node,
        Transaction(
            state.transition.tx_id,
            asset,
            TransactionType.RELEASE,
            app_session_id,
            participant,
            amount,
            node.clock(),
            receiver_new_state_id=state.id,
        ),
    )


def go_amount(amount: Decimal) -> str:
    """decimal.String()."""
    return canonical_decimal(amount)
