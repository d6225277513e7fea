"""Channel states: the per-(wallet, asset) ledger the node and the wallet co-sign.

Models of a state, its ledger and transition (PROTOCOL_V1 §3.2), and the state
advancer of the node's ``pkg/core`` rewritten: :func:`next_state` and the ``apply_*``
functions build a state exactly as the node recomputes it, and
:func:`validate_advancement` checks a proposed state the way the node does, with its
wording. A client builds and checks what it signs with the same code a server uses
to accept it.

A client opens its home channel and deposits into an app session like this::

    state = apply_acknowledgement(
        with_home_channel(next_state(latest), definition, chain, token, node)
    )
    state = apply_commit(next_state(latest), app_session_id, Decimal(5))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from custom_components.nitrolite.clearnode.amounts import EXACT, AmountError
from custom_components.nitrolite.clearnode.errors import ClearNodeStateTransitionError
from custom_components.nitrolite.clearnode.signing import Signer

from . import wire
from .codec import canonical_decimal, check_precision
from .hashing import home_channel_id, pack_state, state_id, transaction_id
from .models import TransitionType
from .signing import channel_signature

ZERO_ID = "0x" + "00" * 32
_ACCOUNT_ID_SIZES = (42, 66)


@dataclass(frozen=True, slots=True)
class Ledger:
    """Balances and net flows of one channel, in human units; hex as sent."""

    token_address: str
    blockchain_id: int
    user_balance: Decimal
    user_net_flow: Decimal
    node_balance: Decimal
    node_net_flow: Decimal

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Ledger:
        """Parse ``{token_address, blockchain_id, user_balance, …}`` (signs are rules)."""
        return cls(
            token_address=wire.text(data, "token_address", 42),
            blockchain_id=wire.uint_text(data, "blockchain_id"),
            user_balance=wire.amount(data, "user_balance", signed=True),
            user_net_flow=wire.amount(data, "user_net_flow", signed=True),
            node_balance=wire.amount(data, "node_balance", signed=True),
            node_net_flow=wire.amount(data, "node_net_flow", signed=True),
        )

    def to_wire(self) -> dict[str, str]:
        """Return the ledger with canonical amounts."""
        return {
            "token_address": self.token_address,
            "blockchain_id": str(self.blockchain_id),
            "user_balance": canonical_decimal(self.user_balance),
            "user_net_flow": canonical_decimal(self.user_net_flow),
            "node_balance": canonical_decimal(self.node_balance),
            "node_net_flow": canonical_decimal(self.node_net_flow),
        }


EMPTY_LEDGER = Ledger("", 0, Decimal(0), Decimal(0), Decimal(0), Decimal(0))


@dataclass(frozen=True, slots=True)
class Transition:
    """What moved funds into or out of a state; ``account_id`` depends on ``type``."""

    type: TransitionType
    tx_id: str
    account_id: str
    amount: Decimal

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Transition:
        """Parse ``{type, tx_id, account_id, amount}``."""
        kind = wire.uint(data, "type", 8)
        if kind not in TransitionType:
            raise wire.fail(f"transition type {kind} is unknown")
        account_id = wire.text(data, "account_id", 66)
        if len(account_id) not in _ACCOUNT_ID_SIZES:
            raise wire.fail("account_id is neither an address nor a 32-byte id")
        wire.hex_text(data, "account_id", (len(account_id) - 2) // 2)
        return cls(
            type=TransitionType(kind),
            tx_id=wire.hex_text(data, "tx_id", 32),
            account_id=account_id,
            amount=wire.amount(data, "amount", signed=True),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the transition with a canonical amount."""
        return {
            "type": int(self.type),
            "tx_id": self.tx_id,
            "account_id": self.account_id,
            "amount": canonical_decimal(self.amount),
        }


NO_TRANSITION = Transition(TransitionType.VOID, "", "", Decimal(0))


@dataclass(frozen=True, slots=True)
class ChannelState:
    """A wallet's state of one asset, version by version within an epoch."""

    id: str
    transition: Transition
    asset: str
    user_wallet: str
    epoch: int
    version: int
    home_channel_id: str | None
    home_ledger: Ledger
    escrow_channel_id: str | None = None
    escrow_ledger: Ledger | None = None
    user_sig: str | None = None
    node_sig: str | None = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ChannelState:
        """Parse a ``State`` object."""
        escrow = data.get("escrow_ledger")
        return cls(
            id=wire.hex_text(data, "id", 32),
            transition=Transition.from_wire(
                wire.mapping(data.get("transition"), "transition")
            ),
            asset=wire.text(data, "asset", 256),
            user_wallet=wire.hex_text(data, "user_wallet", 20),
            epoch=wire.uint_text(data, "epoch"),
            version=wire.uint_text(data, "version"),
            home_channel_id=_optional_id(data, "home_channel_id"),
            home_ledger=Ledger.from_wire(
                wire.mapping(data.get("home_ledger"), "home_ledger")
            ),
            escrow_channel_id=_optional_id(data, "escrow_channel_id"),
            escrow_ledger=None
            if escrow is None
            else Ledger.from_wire(wire.mapping(escrow, "escrow_ledger")),
            user_sig=wire.optional_text(data, "user_sig", 1024),
            node_sig=wire.optional_text(data, "node_sig", 1024),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the state as the node reads it; absent values are left out."""
        optional = {
            "home_channel_id": self.home_channel_id,
            "escrow_channel_id": self.escrow_channel_id,
            "home_ledger": self.home_ledger.to_wire(),
            "escrow_ledger": None
            if self.escrow_ledger is None
            else self.escrow_ledger.to_wire(),
            "user_sig": self.user_sig,
            "node_sig": self.node_sig,
        }
        return {
            "id": self.id,
            "transition": self.transition.to_wire(),
            "asset": self.asset,
            "user_wallet": self.user_wallet,
            "epoch": str(self.epoch),
            "version": str(self.version),
        } | {key: value for key, value in optional.items() if value is not None}


def _optional_id(data: Mapping[str, Any], key: str) -> str | None:
    return None if data.get(key) is None else wire.hex_text(data, key, 32)


@dataclass(frozen=True, slots=True)
class ChannelDefinition:
    """The parameters a home channel's id is derived from."""

    nonce: int
    challenge: int
    approved_sig_validators: str

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ChannelDefinition:
        """Parse ``{nonce, challenge, approved_sig_validators}``."""
        return cls(
            nonce=wire.uint_text(data, "nonce"),
            challenge=wire.uint(data, "challenge", 32),
            approved_sig_validators=wire.text(data, "approved_sig_validators", 66),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the definition as the node reads it."""
        return {
            "nonce": str(self.nonce),
            "challenge": self.challenge,
            "approved_sig_validators": self.approved_sig_validators,
        }


def sig_validators_bitmap(signer_types: Iterable[int]) -> str:
    """Return the bitmap of signer types, shortest hex (``{0, 1}`` → ``"0x03"``)."""
    value = sum({1 << signer_type for signer_type in signer_types})
    return "0x" + (value.to_bytes((value.bit_length() + 7) // 8 or 1).hex())


def void_state(user_wallet: str, asset: str) -> ChannelState:
    """Return the state a wallet has before its first one: version 0, all zero."""
    return ChannelState("", NO_TRANSITION, asset, user_wallet, 0, 0, None, EMPTY_LEDGER)


def next_state(current: ChannelState) -> ChannelState:
    """Return the successor of ``current`` with no transition yet and no signatures.

    After a finalize a new epoch starts at version 1 with nothing; otherwise the
    channel and ledger carry over, and an escrow ledger stays while it is in flight.
    """
    if current.transition.type is TransitionType.FINALIZE:
        epoch, version = current.epoch + 1, 1
        channel, ledger, escrow_channel = None, EMPTY_LEDGER, None
    else:
        epoch, version = current.epoch, current.version + 1
        channel, ledger = current.home_channel_id, current.home_ledger
        escrow_channel = current.escrow_channel_id
    escrow = current.escrow_ledger
    if current.transition.type in {
        TransitionType.ESCROW_DEPOSIT,
        TransitionType.ESCROW_WITHDRAW,
    }:
        escrow_channel, escrow = None, None
    return ChannelState(
        id=state_id(current.user_wallet, current.asset, epoch, version),
        transition=NO_TRANSITION,
        asset=current.asset,
        user_wallet=current.user_wallet,
        epoch=epoch,
        version=version,
        home_channel_id=channel,
        home_ledger=ledger,
        escrow_channel_id=escrow_channel,
        escrow_ledger=escrow,
    )


def with_home_channel(
    state: ChannelState,
    definition: ChannelDefinition,
    blockchain_id: int,
    token_address: str,
    node_address: str,
) -> ChannelState:
    """Place ``state`` in the home channel ``definition`` opens on a chain and token."""
    channel_id = home_channel_id(
        definition, state.user_wallet, node_address, state.asset
    )
    ledger = replace(
        state.home_ledger, token_address=token_address, blockchain_id=blockchain_id
    )
    return replace(state, home_channel_id=channel_id, home_ledger=ledger)


def _transition_free(state: ChannelState) -> None:
    if state.transition.type is not TransitionType.VOID:
        name = state.transition.type.name.lower()
        raise ClearNodeStateTransitionError(f"state already has a transition: {name}")


def _apply(
    state: ChannelState, transition: Transition, change: Decimal = Decimal(0)
) -> ChannelState:
    """Record ``transition``; ``change`` moves the user's balance and the node's flow."""
    _transition_free(state)
    ledger = replace(
        state.home_ledger,
        user_balance=EXACT.add(state.home_ledger.user_balance, change),
        node_net_flow=EXACT.add(state.home_ledger.node_net_flow, change),
    )
    return replace(state, transition=transition, home_ledger=ledger)


def apply_acknowledgement(state: ChannelState) -> ChannelState:
    """Acknowledge what the node issued: zero ids and amount, ledger unchanged."""
    transition = Transition(
        TransitionType.ACKNOWLEDGEMENT, ZERO_ID, ZERO_ID, Decimal(0)
    )
    return _apply(state, transition)


def _sent(
    state: ChannelState, kind: TransitionType, account_id: str, amount: Decimal
) -> ChannelState:
    tx_id = transaction_id(account_id, state.id)
    return _apply(
        state,
        Transition(kind, tx_id, account_id, amount),
        amount.copy_negate(),
    )


def apply_commit(
    state: ChannelState, app_session_id: str, amount: Decimal
) -> ChannelState:
    """Move ``amount`` from the channel into an app session (a deposit)."""
    return _sent(state, TransitionType.COMMIT, app_session_id, amount)


def apply_transfer_send(
    state: ChannelState, recipient: str, amount: Decimal
) -> ChannelState:
    """Send ``amount`` to another wallet (``recipient`` as its exact lowercase text)."""
    return _sent(state, TransitionType.TRANSFER_SEND, recipient, amount)


def apply_transfer_receive(
    state: ChannelState, sender: str, amount: Decimal, tx_id: str
) -> ChannelState:
    """Credit a transfer to its recipient, as the node does (the sender's ``tx_id``)."""
    transition = Transition(TransitionType.TRANSFER_RECEIVE, tx_id, sender, amount)
    return _apply(state, transition, amount)


def apply_release(
    state: ChannelState, app_session_id: str, amount: Decimal
) -> ChannelState:
    """Credit what an app session pays out to a participant, as the node does."""
    tx_id = transaction_id(app_session_id, state.id)
    transition = Transition(TransitionType.RELEASE, tx_id, app_session_id, amount)
    return _apply(state, transition, amount)


def sign_state(
    state: ChannelState, signer: Signer, token_decimals: int
) -> ChannelState:
    """Return ``state`` with the owner's 0x00 signature over its packing."""
    return replace(
        state, user_sig=channel_signature(signer, pack_state(state, token_decimals))
    )


def _invalid(reason: str) -> ClearNodeStateTransitionError:
    return ClearNodeStateTransitionError(reason)


def validate_ledger(ledger: Ledger) -> None:
    """Check a ledger's invariants: a token, a chain, no negative balance, flows add up."""
    if not ledger.token_address:
        raise _invalid("invalid token address")
    if ledger.blockchain_id == 0:
        raise _invalid("invalid blockchain ID")
    if ledger.user_balance < 0:
        raise _invalid("user balance cannot be negative")
    if ledger.node_balance < 0:
        raise _invalid("node balance cannot be negative")
    balances = EXACT.add(ledger.user_balance, ledger.node_balance)
    net_flows = EXACT.add(ledger.user_net_flow, ledger.node_net_flow)
    if balances != net_flows:
        raise _invalid(
            "ledger balances do not match net flows: "
            f"balances={canonical_decimal(balances)}, "
            f"net_flows={canonical_decimal(net_flows)}"
        )


def _mismatch(what: str, expected: object, proposed: object) -> str | None:
    if expected == proposed:
        return None
    if isinstance(expected, Decimal) and isinstance(proposed, Decimal):
        expected, proposed = canonical_decimal(expected), canonical_decimal(proposed)
    return f"{what} mismatch: expected={expected}, proposed={proposed}"


def _first_mismatch(*checks: str | None) -> str | None:
    return next((check for check in checks if check is not None), None)


def _ledger_mismatch(expected: Ledger, proposed: Ledger) -> str | None:
    return _first_mismatch(
        _mismatch("token address", expected.token_address, proposed.token_address),
        _mismatch("blockchain ID", expected.blockchain_id, proposed.blockchain_id),
        _mismatch("user balance", expected.user_balance, proposed.user_balance),
        _mismatch("user net flow", expected.user_net_flow, proposed.user_net_flow),
        _mismatch("node balance", expected.node_balance, proposed.node_balance),
        _mismatch("node net flow", expected.node_net_flow, proposed.node_net_flow),
    )


def _transition_mismatch(expected: Transition, proposed: Transition) -> str | None:
    """Compare what the type alone does not decide (the type is the proposal's)."""
    return _first_mismatch(
        _mismatch("transaction ID", expected.tx_id, proposed.tx_id),
        _mismatch("account ID", expected.account_id, proposed.account_id),
        _mismatch("amount", expected.amount, proposed.amount),
    )


def _check_amount_sign(transition: Transition) -> None:
    amount = canonical_decimal(transition.amount)
    if transition.type is TransitionType.ACKNOWLEDGEMENT:
        if transition.amount != 0:
            raise _invalid(f"transition amount must be zero, got {amount}")
    elif transition.amount <= 0:
        raise _invalid(f"transition amount must be positive, got {amount}")


def _apply_proposed(
    current: ChannelState, expected: ChannelState, transition: Transition
) -> ChannelState:
    """Apply the proposed transition's kind, account and amount to the expected state."""
    match transition.type:
        case TransitionType.VOID:
            raise _invalid("cannot apply void transition as new transition")
        case TransitionType.ACKNOWLEDGEMENT:
            if current.user_sig is not None:
                raise _invalid("current state is already acknowledged")
            return apply_acknowledgement(expected)
        case TransitionType.TRANSFER_SEND:
            return apply_transfer_send(
                expected, transition.account_id, transition.amount
            )
        case TransitionType.COMMIT:
            return apply_commit(expected, transition.account_id, transition.amount)
    raise _invalid(f"unsupported type for new transition: {int(transition.type)}")


def _check_escrow(expected: ChannelState, proposed: ChannelState) -> None:
    if (expected.escrow_channel_id is None) != (proposed.escrow_channel_id is None):
        raise _invalid("escrow channel ID presence mismatch")
    if mismatch := _mismatch(
        "escrow channel ID", expected.escrow_channel_id, proposed.escrow_channel_id
    ):
        raise _invalid(mismatch)
    if expected.escrow_ledger is None or proposed.escrow_ledger is None:
        if expected.escrow_ledger is not proposed.escrow_ledger:
            raise _invalid("escrow ledger presence mismatch")
        return
    if mismatch := _ledger_mismatch(expected.escrow_ledger, proposed.escrow_ledger):
        raise _invalid(f"escrow ledger mismatch: {mismatch}")
    try:
        validate_ledger(proposed.escrow_ledger)
    except ClearNodeStateTransitionError as err:
        raise _invalid(f"invalid escrow ledger: {err.reason}") from None
    if proposed.escrow_ledger.blockchain_id == proposed.home_ledger.blockchain_id:
        raise _invalid(
            "escrow ledger blockchain ID cannot match home ledger blockchain ID"
        )


def validate_advancement(
    current: ChannelState, proposed: ChannelState, asset_decimals: int
) -> None:
    """Check that ``proposed`` is the node's own next state after ``current``.

    Supports what a wallet proposes off-chain: acknowledgement, transfer and commit.
    ``asset_decimals`` bounds the transition amount's precision (as written).
    """
    expected = next_state(current)
    if proposed.home_channel_id is None:
        raise _invalid("home channel ID cannot be nil")
    if expected.home_channel_id is None:
        ledger = replace(
            expected.home_ledger,
            blockchain_id=proposed.home_ledger.blockchain_id,
            token_address=proposed.home_ledger.token_address,
        )
        expected = replace(
            expected, home_channel_id=proposed.home_channel_id, home_ledger=ledger
        )
    if mismatch := _first_mismatch(
        _mismatch(
            "home channel ID", expected.home_channel_id, proposed.home_channel_id
        ),
        _mismatch("version", expected.version, proposed.version),
        _mismatch("user wallet", expected.user_wallet, proposed.user_wallet),
        _mismatch("asset", expected.asset, proposed.asset),
        _mismatch("epoch", expected.epoch, proposed.epoch),
        _mismatch("state ID", expected.id, proposed.id),
    ):
        raise _invalid(mismatch)
    if proposed.user_sig is None:
        raise _invalid("user signature is required")
    transition = proposed.transition
    try:
        check_precision(transition.amount, asset_decimals)
    except AmountError as err:
        raise _invalid(f"invalid amount for asset {proposed.asset}: {err}") from None
    _check_amount_sign(transition)
    expected = _apply_proposed(current, expected, transition)
    if mismatch := _transition_mismatch(expected.transition, transition):
        raise _invalid(f"new transition does not match expected: {mismatch}")
    if mismatch := _ledger_mismatch(expected.home_ledger, proposed.home_ledger):
        raise _invalid(f"home ledger mismatch: {mismatch}")
    try:
        validate_ledger(proposed.home_ledger)
    except ClearNodeStateTransitionError as err:
        raise _invalid(f"invalid home ledger: {err.reason}") from None
    _check_escrow(expected, proposed)
