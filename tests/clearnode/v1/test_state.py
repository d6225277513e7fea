"""Channel states are built and checked exactly as the node's state advancer does."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.nitrolite.clearnode.errors import (
    ClearNodeProtocolError,
    ClearNodeStateTransitionError,
)
from custom_components.nitrolite.clearnode.v1.hashing import state_id, transaction_id
from custom_components.nitrolite.clearnode.v1.models import TransitionType
from custom_components.nitrolite.clearnode.v1.state import (
    EMPTY_LEDGER,
    ZERO_ID,
    ChannelDefinition,
    ChannelState,
    Ledger,
    Transition,
    apply_acknowledgement,
    apply_commit,
    apply_release,
    apply_transfer_receive,
    apply_transfer_send,
    next_state,
    sig_validators_bitmap,
    sign_state,
    validate_advancement,
    validate_ledger,
    void_state,
)

from .states import (
    APP_SESSION_ID,
    ASSET,
    CHANNEL,
    DECIMALS,
    FAUCET_TX,
    USER,
    acknowledged,
    committed,
    received,
)
from .vectors import address


def test_a_first_receive_is_version_1_of_epoch_0() -> None:
    """Off-chain funds land in version 1 of epoch 0, without a channel."""
    state = received(Decimal(10))
    assert (state.epoch, state.version, state.home_channel_id) == (0, 1, None)
    assert state.id == state_id(address("user"), ASSET, 0, 1)
    assert (state.home_ledger.user_balance, state.home_ledger.node_net_flow) == (10, 10)


def test_acknowledgement_opens_the_home_channel_exactly_as_the_vector() -> None:
    """Version 2 in the new channel, zero transition, signed: the vector, byte for byte."""
    assert acknowledged().to_wire() == CHANNEL["ack_state"]
    validate_advancement(received(Decimal(10)), acknowledged(), 6)


def test_commit_is_exactly_the_vector() -> None:
    """Version 3 moves 5 into the session: ids, ledger and signature are the vector's."""
    assert committed().to_wire() == CHANNEL["commit_state"]
    validate_advancement(acknowledged(), committed(), 6)


def test_a_commit_may_build_on_an_unacknowledged_state() -> None:
    """The node accepts a commit on top of its own unsigned receive once in a channel."""
    release = apply_release(next_state(committed()), APP_SESSION_ID, Decimal(2))
    proposal = sign_state(
        apply_commit(next_state(release), APP_SESSION_ID, Decimal(7)), USER, 6
    )
    validate_advancement(release, proposal, 6)
    assert proposal.home_ledger.user_balance == 0


def test_transfer_send_and_receive_share_one_transaction_id() -> None:
    """The sender's tx id hashes the recipient's text; the receiver's state reuses it."""
    sent = sign_state(
        apply_transfer_send(
            next_state(acknowledged()), address("peer"), Decimal("1.5")
        ),
        USER,
        DECIMALS,
    )
    validate_advancement(acknowledged(), sent, 6)
    assert sent.transition.tx_id == transaction_id(address("peer"), sent.id)
    assert (sent.home_ledger.user_balance, sent.home_ledger.node_net_flow) == (
        Decimal("8.5"),
        Decimal("8.5"),
    )
    peer_first = next_state(void_state(address("peer"), ASSET))
    receipt = apply_transfer_receive(
        peer_first, address("user"), Decimal("1.5"), sent.transition.tx_id
    )
    assert receipt.transition == Transition(
        TransitionType.TRANSFER_RECEIVE,
        sent.transition.tx_id,
        address("user"),
        Decimal("1.5"),
    )


def test_a_release_credits_the_participant() -> None:
    """A release's tx id hashes the app session id with the new state id."""
    release = apply_release(next_state(committed()), APP_SESSION_ID, Decimal("4.25"))
    assert release.transition.tx_id == transaction_id(APP_SESSION_ID, release.id)
    assert release.home_ledger.user_balance == Decimal("9.25")
    assert release.home_ledger.node_net_flow == Decimal("9.25")
    validate_ledger(release.home_ledger)


def test_ledger_arithmetic_is_exact_beyond_28_digits() -> None:
    """Balances of 30 significant digits move exactly, never rounded to 28 digits."""
    big = Decimal("123456789012345678901234567890.5")
    state = apply_transfer_receive(
        next_state(void_state(address("user"), ASSET)), address("peer"), big, FAUCET_TX
    )
    state = apply_commit(next_state(state), APP_SESSION_ID, Decimal("0.000001"))
    assert state.home_ledger.user_balance == Decimal(
        "123456789012345678901234567890.499999"
    )
    assert state.home_ledger.node_net_flow == state.home_ledger.user_balance


def test_after_a_finalize_a_new_epoch_starts_empty() -> None:
    """A finalized channel is left: epoch + 1, version 1, no channel, zero ledger."""
    final = replace(
        committed(),
        transition=Transition(TransitionType.FINALIZE, ZERO_ID, ZERO_ID, Decimal(5)),
    )
    fresh = next_state(final)
    assert (fresh.epoch, fresh.version, fresh.home_channel_id) == (1, 1, None)
    assert fresh.home_ledger == EMPTY_LEDGER
    assert fresh.id == state_id(address("user"), ASSET, 1, 1)


@pytest.mark.parametrize(
    ("last", "kept"),
    [(TransitionType.MUTUAL_LOCK, True), (TransitionType.ESCROW_DEPOSIT, False)],
)
def test_an_escrow_ledger_is_kept_only_while_in_flight(
    last: TransitionType, kept: bool
) -> None:
    """The escrow ledger survives a lock and is dropped once deposited or withdrawn."""
    escrow = Ledger("0x" + "11" * 20, 1, Decimal(1), Decimal(1), Decimal(0), Decimal(0))
    current = replace(
        committed(),
        transition=replace(committed().transition, type=last),
        escrow_channel_id=ZERO_ID,
        escrow_ledger=escrow,
    )
    following = next_state(current)
    assert (following.escrow_ledger == escrow) is kept
    assert (following.escrow_channel_id == ZERO_ID) is kept


def test_a_transition_cannot_be_applied_twice() -> None:
    """A state holds one transition; applying another is refused in the node's words."""
    with pytest.raises(ClearNodeStateTransitionError) as caught:
        apply_commit(committed(), APP_SESSION_ID, Decimal(1))
    assert caught.value.reason == "state already has a transition: commit"


def refusal(current: ChannelState, proposal: ChannelState) -> str:
    """Return the node-worded reason ``proposal`` is refused after ``current``."""
    with pytest.raises(ClearNodeStateTransitionError) as caught:
        validate_advancement(current, proposal, 6)
    return caught.value.reason


def signed(state: ChannelState) -> ChannelState:
    """Return ``state`` with some signature present (its validity is the handler's)."""
    return replace(state, user_sig="0x00")


COMMIT_PROPOSAL_ERRORS: dict[str, tuple[dict[str, Any], str]] = {
    "no channel": ({"home_channel_id": None}, "home channel ID cannot be nil"),
    "another channel": (
        {"home_channel_id": ZERO_ID},
        (
            f"home channel ID mismatch: expected={CHANNEL['home_channel_id']}, "
            f"proposed={ZERO_ID}"
        ),
    ),
    "skipped version": ({"version": 4}, "version mismatch: expected=3, proposed=4"),
    "another wallet": (
        {"user_wallet": address("peer")},
        f"user wallet mismatch: expected={address('user')}, proposed={address('peer')}",
    ),
    "another asset": (
        {"asset": "usdc"},
        "asset mismatch: expected=yusd, proposed=usdc",
    ),
    "another epoch": ({"epoch": 1}, "epoch mismatch: expected=0, proposed=1"),
    "wrong id": ({"id": ZERO_ID}, "state ID mismatch: expected="),
    "unsigned": ({"user_sig": None}, "user signature is required"),
}


@pytest.mark.parametrize(
    ("change", "reason"),
    COMMIT_PROPOSAL_ERRORS.values(),
    ids=COMMIT_PROPOSAL_ERRORS.keys(),
)
def test_a_proposal_not_following_the_current_state_is_refused(
    change: dict[str, Any], reason: str
) -> None:
    """Channel, version, wallet, asset, epoch, id and signature are checked in order."""
    assert refusal(acknowledged(), replace(committed(), **change)).startswith(reason)


def commit_of(amount: str) -> ChannelState:
    """Return a commit proposal of ``amount`` on top of the acknowledgement."""
    return signed(
        apply_commit(next_state(acknowledged()), APP_SESSION_ID, Decimal(amount))
    )


def test_a_commit_beyond_the_balance_is_refused() -> None:
    """The node's own words: the home ledger's user balance cannot go negative."""
    assert refusal(acknowledged(), commit_of("10.5")) == (
        "invalid home ledger: user balance cannot be negative"
    )


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (
            "1.0000001",
            (
                "invalid amount for asset yusd: amount exceeds maximum decimal precision: "
                "max 6 decimals allowed, got 7"
            ),
        ),
        ("0", "transition amount must be positive, got 0"),
        ("-1", "transition amount must be positive, got -1"),
    ],
)
def test_commit_amounts_are_positive_within_the_asset_precision(
    amount: str, reason: str
) -> None:
    """Too many decimal places, zero or negative amounts are refused."""
    assert refusal(acknowledged(), commit_of(amount)) == reason


def test_a_transition_other_than_the_nodes_is_refused() -> None:
    """A wrong tx id makes the transition differ from the node's recomputation."""
    proposal = commit_of("5")
    forged = replace(proposal, transition=replace(proposal.transition, tx_id=ZERO_ID))
    assert refusal(acknowledged(), forged) == (
        "new transition does not match expected: transaction ID mismatch: "
        f"expected={proposal.transition.tx_id}, proposed={ZERO_ID}"
    )


def test_a_ledger_other_than_the_nodes_is_refused() -> None:
    """Keeping more than the commit leaves is a ledger mismatch, amounts in Go form."""
    proposal = commit_of("5")
    greedy = replace(
        proposal, home_ledger=replace(proposal.home_ledger, user_balance=Decimal("6.0"))
    )
    assert refusal(acknowledged(), greedy) == (
        "home ledger mismatch: user balance mismatch: expected=5, proposed=6"
    )


def test_an_acknowledged_state_cannot_be_acknowledged_again() -> None:
    """Acknowledging is allowed only while the current state carries no user signature."""
    again = signed(apply_acknowledgement(next_state(acknowledged())))
    assert refusal(acknowledged(), again) == "current state is already acknowledged"


@pytest.mark.parametrize(
    ("transition", "reason"),
    [
        (
            Transition(TransitionType.ACKNOWLEDGEMENT, ZERO_ID, ZERO_ID, Decimal(1)),
            "transition amount must be zero, got 1",
        ),
        (
            Transition(TransitionType.VOID, ZERO_ID, ZERO_ID, Decimal(1)),
            "cannot apply void transition as new transition",
        ),
        (
            Transition(TransitionType.HOME_DEPOSIT, ZERO_ID, ZERO_ID, Decimal(1)),
            "unsupported type for new transition: 10",
        ),
    ],
    ids=["acknowledgement with an amount", "void", "on-chain deposit"],
)
def test_transitions_a_wallet_cannot_propose_off_chain(
    transition: Transition, reason: str
) -> None:
    """Only acknowledgement (of nothing), transfer and commit are proposed off-chain."""
    proposal = signed(replace(next_state(received(Decimal(10))), transition=transition))
    proposal = replace(proposal, home_channel_id=CHANNEL["home_channel_id"])
    assert refusal(received(Decimal(10)), proposal) == reason


def test_an_unexpected_escrow_ledger_is_refused() -> None:
    """A proposal cannot bring an escrow ledger the node does not expect."""
    escrow = Ledger("0x" + "11" * 20, 1, Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    proposal = replace(commit_of("5"), escrow_ledger=escrow)
    assert refusal(acknowledged(), proposal) == "escrow ledger presence mismatch"


ESCROW_CHANNEL = "0x" + "ee" * 32
ESCROW = Ledger("0x" + "11" * 20, 1, Decimal(1), Decimal(1), Decimal(0), Decimal(0))


def locked() -> ChannelState:
    """Return the acknowledgement with an escrow lock in flight on chain 1."""
    return replace(
        acknowledged(),
        transition=replace(acknowledged().transition, type=TransitionType.MUTUAL_LOCK),
        escrow_channel_id=ESCROW_CHANNEL,
        escrow_ledger=ESCROW,
    )


def commit_during_lock(**change: Any) -> ChannelState:
    """Return a commit proposal after :func:`locked`, with ``change`` applied."""
    proposal = apply_commit(next_state(locked()), APP_SESSION_ID, Decimal(1))
    return signed(replace(proposal, **change))


def test_an_escrow_in_flight_is_carried_by_the_next_state() -> None:
    """A commit during an escrow lock keeps the escrow channel and ledger unchanged."""
    validate_advancement(locked(), commit_during_lock(), 6)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"escrow_channel_id": None}, "escrow channel ID presence mismatch"),
        (
            {"escrow_channel_id": ZERO_ID},
            f"escrow channel ID mismatch: expected={ESCROW_CHANNEL}, proposed={ZERO_ID}",
        ),
        ({"escrow_ledger": None}, "escrow ledger presence mismatch"),
        (
            {"escrow_ledger": replace(ESCROW, user_balance=Decimal(2))},
            "escrow ledger mismatch: user balance mismatch: expected=1, proposed=2",
        ),
    ],
)
def test_an_escrow_in_flight_cannot_be_altered(
    change: dict[str, Any], reason: str
) -> None:
    """The escrow channel and ledger must stay exactly as the node has them."""
    assert refusal(locked(), commit_during_lock(**change)) == reason


@pytest.mark.parametrize(
    ("escrow", "reason"),
    [
        (
            replace(ESCROW, node_net_flow=Decimal(1)),
            (
                "invalid escrow ledger: ledger balances do not match net flows: "
                "balances=1, net_flows=2"
            ),
        ),
        (
            replace(ESCROW, blockchain_id=CHANNEL["blockchain_id"]),
            "escrow ledger blockchain ID cannot match home ledger blockchain ID",
        ),
    ],
)
def test_an_escrow_ledger_must_be_valid_on_another_chain(
    escrow: Ledger, reason: str
) -> None:
    """Even when carried over unchanged, a broken escrow ledger is refused."""
    current = replace(locked(), escrow_ledger=escrow)
    proposal = apply_commit(next_state(current), APP_SESSION_ID, Decimal(1))
    assert refusal(current, signed(proposal)) == reason


@pytest.mark.parametrize(
    ("ledger", "reason"),
    [
        (replace(EMPTY_LEDGER, blockchain_id=1), "invalid token address"),
        (
            replace(EMPTY_LEDGER, token_address="0x" + "11" * 20),
            "invalid blockchain ID",
        ),
        (
            Ledger(
                "0x" + "11" * 20, 1, Decimal(0), Decimal(0), Decimal(-1), Decimal(-1)
            ),
            "node balance cannot be negative",
        ),
        (
            Ledger(
                "0x" + "11" * 20, 1, Decimal(10), Decimal(0), Decimal(0), Decimal(9)
            ),
            "ledger balances do not match net flows: balances=10, net_flows=9",
        ),
    ],
)
def test_ledger_invariants(ledger: Ledger, reason: str) -> None:
    """A ledger names a token and chain, has no negative balance, and adds up."""
    with pytest.raises(ClearNodeStateTransitionError) as caught:
        validate_ledger(ledger)
    assert caught.value.reason == reason


steps = st.lists(
    st.tuples(
        st.sampled_from(["commit", "send", "release"]),
        st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(3), places=6),
    ),
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(steps=steps)
def test_any_affordable_sequence_validates_step_by_step(
    steps: list[tuple[str, Decimal]],
) -> None:
    """What the client builds is what the node expects, state after state."""
    current = acknowledged()
    for kind, amount in steps:
        following = next_state(current)
        if kind == "release":
            current = apply_release(following, APP_SESSION_ID, amount)
            continue
        if amount > current.home_ledger.user_balance:
            continue
        if kind == "commit":
            proposal = apply_commit(following, APP_SESSION_ID, amount)
        else:
            proposal = apply_transfer_send(following, address("peer"), amount)
        proposal = sign_state(proposal, USER, DECIMALS)
        validate_advancement(current, proposal, 6)
        current = proposal
    validate_ledger(current.home_ledger)


def test_bitmaps_of_signature_validators() -> None:
    """Validator types map to bits, shortest hex: {0, 1} is "0x03"."""
    assert sig_validators_bitmap([0, 1]) == "0x03"
    assert sig_validators_bitmap([]) == "0x00"
    assert sig_validators_bitmap([8]) == "0x0100"
    assert sig_validators_bitmap([1, 1]) == "0x02"


@pytest.mark.parametrize("name", ["ack_state", "commit_state"])
def test_states_round_trip_through_the_wire(name: str) -> None:
    """Parsing then re-encoding a state gives back the same JSON."""
    assert ChannelState.from_wire(CHANNEL[name]).to_wire() == CHANNEL[name]


def test_the_channel_definition_round_trips() -> None:
    """The definition parses and re-encodes with its nonce as text."""
    wire = CHANNEL["channel_definition"]
    assert ChannelDefinition.from_wire(wire).to_wire() == wire


BROKEN_STATES: dict[str, tuple[str, Any]] = {
    "unknown transition type": (
        "transition",
        {**CHANNEL["ack_state"]["transition"], "type": 7},
    ),
    "short account id": (
        "transition",
        {**CHANNEL["ack_state"]["transition"], "account_id": "0x1234"},
    ),
    "account id not hex": (
        "transition",
        {**CHANNEL["ack_state"]["transition"], "account_id": "0x" + "zz" * 32},
    ),
    "amount as a number": (
        "transition",
        {**CHANNEL["ack_state"]["transition"], "amount": 0},
    ),
    "no ledger": ("home_ledger", None),
    "version as a number": ("version", 2),
    "negative epoch": ("epoch", "-1"),
    "id not hex": ("id", "0x" + "zz" * 32),
    "signature too long": ("user_sig", "0x" + "00" * 600),
}


@pytest.mark.parametrize(
    ("key", "value"), BROKEN_STATES.values(), ids=BROKEN_STATES.keys()
)
def test_malformed_states_are_protocol_errors(key: str, value: Any) -> None:
    """Types, hex sizes, known transition types and lengths are checked on parse."""
    with pytest.raises(ClearNodeProtocolError, match="unexpected v1 data"):
        ChannelState.from_wire({**CHANNEL["ack_state"], key: value})
