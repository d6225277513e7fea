"""``channels.v1.*``: read states and channels, open a home channel, submit states.

The checks of ``nitronode/api/channel_v1``, in their order and wording.

Only what needs no blockchain is accepted: an acknowledgement and transfers. Deposits,
withdrawals and finalize states (which wait for a chain) are refused with a local-only
text; escrow and migration transitions get the node's own "not supported yet". Without
a chain no channel ever closes, so the node's checks against reopening one (a reused
channel id, an initialised or finalized state) cannot trigger and are left out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from custom_components.nitrolite.clearnode import (
    ClearNodeStateTransitionError,
    ClearNodeValidationError,
)
from custom_components.nitrolite.clearnode.v1 import (
    ChannelDefinition,
    ChannelState,
    TransactionType,
    TransitionType,
    home_channel_id,
    sig_validators_bitmap,
    validate_advancement,
    void_state,
)

from . import params
from .constants import (
    CHANNELS_DEFAULT_PAGE_SIZE,
    CHANNELS_MAX_PAGE_SIZE,
    MAX_CHALLENGE_SECONDS,
    MIN_CHALLENGE_SECONDS,
    SUPPORTED_SIG_VALIDATORS,
)
from .context import Call, Node
from .errors import RPCError
from .gotypes import boolean, hex_decode, optional_string, parse_uint, string
from .signatures import channel_signer_supported, verify_channel_signature
from .states import (
    channel_json,
    cosign,
    pack,
    receive_transfer,
    record,
    state_json,
    to_state,
    transition_name,
)
from .store import OPEN, VOID, Channel, Transaction

PARSE_REQUEST = "failed to parse request"
# Transitions that only a chain can complete; this node has none.
NEEDS_CHAIN = frozenset(
    {
        TransitionType.HOME_DEPOSIT,
        TransitionType.HOME_WITHDRAWAL,
        TransitionType.FINALIZE,
    }
)
NOT_YET = frozenset(
    {
        TransitionType.ESCROW_DEPOSIT,
        TransitionType.ESCROW_WITHDRAW,
        TransitionType.MIGRATE,
    }
)
LOCKS = frozenset({TransitionType.MUTUAL_LOCK, TransitionType.ESCROW_LOCK})
_CHANNEL_STATUSES = ("void", "open", "challenged", "closed")
_CHANNEL_TYPES = ("home", "escrow")
_ACTIVE = (VOID, OPEN)
_BITMAP_BYTES = 32


def get_latest_state(call: Call) -> dict[str, Any]:
    """``{wallet, asset, only_signed}`` → ``{state?}``."""
    owner_text, asset, only_signed = call.decode(
        lambda d: (
            string(d.get("wallet")),
            string(d.get("asset")),
            boolean(d.get("only_signed")),
        )
    )
    state = call.node.store.last_state(
        params.wallet(owner_text), asset, only_signed=only_signed
    )
    return {} if state is None else {"state": state_json(state)}


def get_home_channel(call: Call) -> dict[str, Any]:
    """``{wallet, asset}`` → ``{channel?}`` (the home channel that is not closed)."""
    owner_text, asset = call.decode(
        lambda d: (string(d.get("wallet")), string(d.get("asset"))), PARSE_REQUEST
    )
    channel = call.node.store.home_channel(params.wallet(owner_text), asset)
    return {} if channel is None else {"channel": channel_json(channel)}


def get_escrow_channel(call: Call) -> dict[str, Any]:
    """``{escrow_channel_id}`` → ``{}``: escrow channels need a chain, so none exist."""
    call.decode(lambda data: string(data.get("escrow_channel_id")))
    return {}


def _filter(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if not value:
        return None
    if value.lower() not in allowed:
        message = f'invalid {what}: unknown channel {what.removeprefix("channel_")}: "{value}"'
        raise RPCError(message)
    return value.lower()


def get_channels(call: Call) -> dict[str, Any]:
    """``{wallet, status?, asset?, channel_type?, pagination?}`` → ``{channels, metadata}``."""
    owner_text, status_text, asset, type_text, page = call.decode(
        lambda d: (
            string(d.get("wallet")),
            optional_string(d.get("status")),
            optional_string(d.get("asset")),
            optional_string(d.get("channel_type")),
            params.pagination(d.get("pagination")),
        ),
        PARSE_REQUEST,
    )
    if not owner_text:
        raise RPCError("wallet is required")
    owner = params.wallet(owner_text)
    status = _filter(status_text, _CHANNEL_STATUSES, "status")
    kind = _filter(type_text, _CHANNEL_TYPES, "channel_type")
    channels = [
        channel
        for channel in call.node.store.channels.values()
        if channel.user_wallet == owner
        and status in (None, channel.status)
        and asset in (None, channel.asset)
        and kind in (None, channel.kind)
    ]
    shown, metadata = params.paginate(
        channels, page, CHANNELS_DEFAULT_PAGE_SIZE, CHANNELS_MAX_PAGE_SIZE
    )
    return {"channels": [channel_json(c) for c in shown], "metadata": metadata}


def incoming_state(text: params.StateText, fallback: str) -> ChannelState:
    """Return the submitted state, wallet normalised (``fallback`` if it does not parse)."""
    owner = params.wallet(text.user_wallet, "invalid user_wallet")
    try:
        state = to_state(text)
    except ValueError:
        raise RPCError(fallback) from None
    return replace(state, user_wallet=owner)


def _definition(text: params.ChannelDefinitionText) -> ChannelDefinition:
    try:
        nonce = parse_uint(text.nonce)
    except ValueError:
        raise RPCError("failed to parse channel definition") from None
    if nonce == 0:
        raise RPCError("nonce must be non-zero")
    if text.challenge < MIN_CHALLENGE_SECONDS:
        raise RPCError(
            f"challenge period must be at least {MIN_CHALLENGE_SECONDS} seconds, "
            f"but got {text.challenge}"
        )
    if text.challenge > MAX_CHALLENGE_SECONDS:
        raise RPCError(
            f"challenge period must be at most {MAX_CHALLENGE_SECONDS} seconds, "
            f"but got {text.challenge}"
        )
    return ChannelDefinition(nonce, text.challenge, text.approved_sig_validators)


def _validators_supported(bitmap: str) -> bool:
    """SignerValidatorsSupported: every bit is a signer type the node knows."""
    try:
        value = hex_decode(bitmap)
    except ValueError:
        return False
    supported = int(sig_validators_bitmap(SUPPORTED_SIG_VALIDATORS), 16)
    return 0 < len(value) <= _BITMAP_BYTES and int.from_bytes(value) & ~supported == 0


def request_creation(call: Call) -> dict[str, Any]:
    """Open a home channel with a signed state (acknowledgement or first transfer)."""
    state_text, definition_text = call.decode(
        lambda d: (
            params.state(d.get("state")),
            params.channel_definition(d.get("channel_definition")),
        )
    )
    incoming = incoming_state(state_text, "failed to parse state")
    definition = _definition(definition_text)
    node = call.node
    ledger = incoming.home_ledger
    if not node.config.supports(
        incoming.asset, ledger.token_address, ledger.blockchain_id
    ):
        raise RPCError(
            f"asset {incoming.asset} is not supported on blockchain "
            f"{ledger.blockchain_id} with token address {ledger.token_address}"
        )
    if not _validators_supported(definition.approved_sig_validators):
        raise RPCError(
            "one or more of the provided approved signature validators are not supported"
        )
    if node.store.home_channel(incoming.user_wallet, incoming.asset) is not None:
        raise RPCError(
            "existing channel is not yet closed on-chain; "
            "wait for settlement before opening a new channel"
        )
    current = current_state(node, incoming.user_wallet, incoming.asset)
    channel_id = _channel_id(node, incoming, definition)
    packed = validated_pack(node, current, incoming, "invalid state")
    check_signature(incoming, packed, definition.approved_sig_validators)
    receiver = _receiver(incoming)
    node.store.channels[channel_id] = _new_channel(
        node, incoming, channel_id, definition
    )
    return _accept(call, incoming, packed, receiver)


def submit_state(call: Call) -> dict[str, Any]:
    """Advance an active channel: acknowledgement or transfer."""
    incoming = incoming_state(
        call.decode(lambda d: params.state(d.get("state"))), "failed to parse state"
    )
    node = call.node
    channel = active_home_channel(node, incoming.user_wallet, incoming.asset)
    if channel is None:
        raise RPCError("user has no active channel")
    kind = incoming.transition.type
    if kind in LOCKS and channel.status != OPEN:
        raise RPCError("home channel is not materialized onchain")
    if kind in LOCKS | NOT_YET:
        raise RPCError("transition is not supported yet")
    current = current_state(node, incoming.user_wallet, incoming.asset)
    packed = validated_pack(node, current, incoming, "invalid state transition")
    check_signature(
        incoming,
        packed,
        channel.approved_sig_validators,
        decode_prefix="failed to decode incoming state user signature",
    )
    return _accept(call, incoming, packed, _receiver(incoming))


def current_state(node: Node, owner: str, asset: str) -> ChannelState:
    """Return the wallet's latest state, or the void state before its first one."""
    return node.store.last_state(owner, asset) or void_state(owner, asset)


def active_home_channel(node: Node, owner: str, asset: str) -> Channel | None:
    """CheckActiveChannel: the wallet's home channel, if it is void or open."""
    channel = node.store.home_channel(owner, asset)
    return channel if channel is not None and channel.status in _ACTIVE else None


def _channel_id(
    node: Node, incoming: ChannelState, definition: ChannelDefinition
) -> str:
    invalid = RPCError("incoming state home_channel_id is invalid")
    try:
        channel_id = home_channel_id(
            definition, incoming.user_wallet, node.address, incoming.asset
        )
    except ClearNodeValidationError:
        # "0X03" passes hexutil but not the id's big-integer parse: the node then
        # derives an id no client computes.
        raise invalid from None
    proposed = incoming.home_channel_id
    if proposed is None or proposed.lower() != channel_id:
        raise invalid
    return channel_id


def validated_pack(
    node: Node, current: ChannelState, incoming: ChannelState, prefix: str
) -> bytes:
    """ValidateAdvancement, then PackState: the bytes both signatures cover."""
    kind = incoming.transition.type
    if kind in NEEDS_CHAIN:
        raise RPCError(
            f"transition '{transition_name(kind)}' needs a blockchain, "
            "which the local Nitronode does not have"
        )
    decimals = node.config.asset_decimals(incoming.asset)
    try:
        validate_advancement(current, incoming, decimals)
    except ClearNodeStateTransitionError as err:
        raise RPCError(f"{prefix}: {err.reason}") from None
    return pack(node, incoming)


def check_signature(
    incoming: ChannelState,
    packed: bytes,
    validators: str,
    *,
    decode_prefix: str = "failed to decode user signature",
    invalid_prefix: str = "invalid incoming state user signature",
) -> None:
    """Check the wallet's channel signature: decodable, of an approved type, its own."""
    try:
        signature = hex_decode(incoming.user_sig or "")
    except ValueError as err:
        raise RPCError(f"{decode_prefix}: {err}") from None
    if not signature:
        raise RPCError(
            "failed to get user signature type: invalid signature: too short"
        )
    if not channel_signer_supported(validators, signature[0]):
        raise RPCError(
            f"user signature type '{signature[0]}' is not supported by channel"
        )
    try:
        verify_channel_signature(incoming.user_wallet, packed, signature)
    except ValueError as err:
        raise RPCError(f"{invalid_prefix}: {err}") from None


def _receiver(incoming: ChannelState) -> str | None:
    """Who a transfer pays; any other transition but an acknowledgement is refused."""
    kind = incoming.transition.type
    if kind == TransitionType.ACKNOWLEDGEMENT:
        return None
    if kind != TransitionType.TRANSFER_SEND:
        raise RPCError(
            f"transition '{transition_name(kind)}' is not supported by this endpoint"
        )
    prefix = "failed to issue receiver state"
    receiver = params.wallet(
        incoming.transition.account_id, f"{prefix}: invalid receiver wallet address"
    )
    if receiver == incoming.user_wallet:
        raise RPCError(f"{prefix}: sender and receiver wallets are the same")
    return receiver


def _new_channel(
    node: Node, incoming: ChannelState, channel_id: str, definition: ChannelDefinition
) -> Channel:
    return Channel(
        channel_id=channel_id,
        user_wallet=incoming.user_wallet,
        asset=incoming.asset,
        blockchain_id=incoming.home_ledger.blockchain_id,
        token_address=incoming.home_ledger.token_address,
        challenge_duration=definition.challenge,
        nonce=definition.nonce,
        approved_sig_validators=definition.approved_sig_validators,
        status=OPEN if node.open_channels else VOID,
    )


def _accept(
    call: Call, incoming: ChannelState, packed: bytes, receiver: str | None
) -> dict[str, Any]:
    """Co-sign and store the state; a transfer also credits its receiver."""
    node = call.node
    signed = cosign(node, incoming, packed)
    node.store.store_state(signed)
    if receiver is not None:
        _transfer(node, signed, receiver)
    call.changed = True
    return {"signature": signed.node_sig}


def _transfer(node: Node, sent: ChannelState, receiver: str) -> None:
    transition = sent.transition
    received = receive_transfer(
        node,
        sent.user_wallet,
        receiver,
        sent.asset,
        transition.amount,
        tx_id=transition.tx_id,
    )
    record(
        node,
        Transaction(
            transition.tx_id,
            sent.asset,
            TransactionType.TRANSFER,
            sent.user_wallet,
            transition.account_id,
            transition.amount,
            node.clock(),
            sender_new_state_id=sent.id,
            receiver_new_state_id=received.id,
        ),
    )
