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

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from ..amounts import EXACT, AmountError
from ..errors import ClearNodeStateTransitionError
from ..signing import Signer
from .channels import (
    EMPTY_LEDGER,
    NO_TRANSITION,
    ChannelDefinition,
    ChannelState,
    Ledger,
    Transition,
)
from .codec import canonical_decimal, check_precision
from .hashing import home_channel_id, pack_state, state_id, transaction_id
from .models import TransitionType
from .signing import channel_signature

ZERO_ID = "0x" + "00" * 32


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
