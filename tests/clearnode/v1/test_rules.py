"""What a v1 node would refuse is refused before signing, naming the field."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from custom_components.nitrolite.clearnode.errors import ClearNodeValidationError
from custom_components.nitrolite.clearnode.models import (
    Allocation,
    AppDefinition,
    AppSession,
)
from custom_components.nitrolite.clearnode.v1 import validation as rules
from custom_components.nitrolite.clearnode.v1.conversions import created_session
from custom_components.nitrolite.clearnode.v1.models import PROTOCOL, Asset

from .conftest import YUSD, Local

ME = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
PEER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OTHER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
ASSETS = {
    YUSD: Asset("Yellow USD", YUSD, 6, 1, ()),
    "weth": Asset("Wrapped ether", "weth", 18, 1, ()),
}
DEFINITION = AppDefinition(
    application="home-assistant",
    protocol=PROTOCOL,
    participants=(ME, PEER),
    weights=(100, 0),
    quorum=100,
    challenge=0,
    nonce=1,
)


def allocation(participant: str, amount: str, asset: str = YUSD) -> Allocation:
    """Return one share."""
    return Allocation(participant, asset, Decimal(amount))


def holding(ours: str, theirs: str, **changes: Any) -> AppSession:
    """Return an open session of ME and PEER with this split of yusd."""
    opened = created_session(DEFINITION, "")
    split = (allocation(ME, ours), allocation(PEER, theirs))
    return replace(opened, **{"version": 2, "allocations": split} | changes)


def refused(field: str) -> Any:
    """Expect a validation error naming ``field``."""
    return pytest.raises(ClearNodeValidationError, match=f"^{field}: ")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weights": (256, 0)}, "weights"),
        ({"weights": (100, -1)}, "weights"),
        ({"weights": (True, 0)}, "weights"),
        ({"weights": (100,)}, "weights"),
        ({"quorum": 256, "weights": (255, 255)}, "quorum"),
        ({"quorum": 0}, "quorum"),
        ({"quorum": 101}, "quorum"),
        ({"weights": (1, 100)}, "quorum"),
        ({"application": "Home Assistant"}, "application"),
        ({"application": "a" * 67}, "application"),
        ({"application": ""}, "application"),
        ({"protocol": "NitroRPC/0.4"}, "protocol"),
        ({"challenge": 86400}, "challenge"),
        ({"participants": (), "weights": ()}, "participants"),
        ({"participants": (ME, ME.lower())}, "participants"),
        ({"participants": (ME, "0x1234")}, "participants"),
        ({"participants": (ME, PEER.swapcase())}, "participants"),
        ({"participants": (OTHER, PEER)}, "participants"),
        (
            {"participants": (ME, *(f"0x{n:040x}" for n in range(1, 33)))},
            "participants",
        ),
        ({"nonce": 0}, "nonce"),
        ({"nonce": 2**64}, "nonce"),
        ({"nonce": "1"}, "nonce"),
    ],
)
def test_a_definition_the_node_or_our_signature_cannot_take_is_refused(
    changes: dict[str, Any], field: str
) -> None:
    """Refuse what the node or our lone signature cannot take.

    uint8 weights and quorum, the application pattern, 1–32 distinct participants,
    a uint64 nonce, no v0.5 fields, and our weight alone reaching the quorum.
    """
    with refused(field):
        rules.definition(replace(DEFINITION, **changes), ME)


def test_a_valid_definition_comes_back_in_eip55() -> None:
    """Lowercase participants are accepted and checksummed; the limits are inclusive."""
    lowered = replace(
        DEFINITION,
        application="a-z_0-9" + "x" * 59,
        participants=(ME.lower(), PEER.lower()),
        weights=(255, 0),
        quorum=255,
        nonce=2**64 - 1,
    )
    checked = rules.definition(lowered, ME)
    assert checked == replace(lowered, participants=(ME, PEER))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), ("", ""), ("x" * 1024, "x" * 1024), ("€" * 341, "€" * 341)],
)
def test_session_data_up_to_1024_bytes_is_accepted(
    value: str | None, expected: str
) -> None:
    """Nothing means empty; the limit counts UTF-8 bytes (341 euro signs are 1023)."""
    assert rules.session_data(value) == expected


@pytest.mark.parametrize("value", ["x" * 1025, "€" * 342, 42])
def test_longer_session_data_is_refused(value: str) -> None:
    """1025 bytes, 342 euro signs (1026 bytes in 342 characters), or not text."""
    with refused("session_data"):
        rules.session_data(value)


@pytest.mark.parametrize(
    ("value", "sent"),
    [("1.000000000", "1"), ("0.000001", "0.000001"), ("1E2", "100"), ("2.50", "2.5")],
)
def test_amounts_are_sent_canonical_within_the_asset_decimals(
    value: str, sent: str
) -> None:
    """Trailing zeros beyond the decimals do not count: the canonical form is sent."""
    assert str(rules.asset_amount(ASSETS[YUSD], value, "amount")) == sent


@pytest.mark.parametrize(
    "value", ["0.0000001", "1e-7", "0", "-1", "NaN", "1e999999999", "1,5"]
)
def test_amounts_the_node_refuses_are_refused(value: str) -> None:
    """Finer than 6 decimals for yusd, not positive, not a bounded decimal."""
    with refused("amount"):
        rules.asset_amount(ASSETS[YUSD], value, "amount")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ([allocation(ME, "1", "usdc")], "allocations.asset"),
        ([allocation(ME, "0.0000001")], "allocations.amount"),
        ([allocation(OTHER, "1")], "allocations.participant"),
        ([allocation(ME, "1"), allocation(ME.lower(), "2")], "allocations"),
        ([allocation(ME, "-1")], "allocations.amount"),
    ],
)
def test_allocations_name_members_known_assets_and_precise_amounts(
    values: list[Allocation], field: str
) -> None:
    """Each share: a participant, once, of an asset the node has, within its decimals."""
    with refused(field):
        rules.allocations(holding("5", "0"), values, ASSETS)


def test_allocations_come_back_in_eip55_and_canonical() -> None:
    """What is signed is what the node hashes."""
    checked = rules.allocations(
        holding("5", "0"), [allocation(PEER.lower(), "2.500")], ASSETS
    )
    assert checked == (allocation(PEER, "2.5"),)
    assert str(checked[0].amount) == "2.5"


@pytest.mark.parametrize(
    "new",
    [
        [allocation(ME, "5")],  # the counterparty's 1 is missing
        [allocation(ME, "4"), allocation(PEER, "1.5")],  # 5.5 for 6
    ],
)
def test_a_redistribution_lists_every_share_and_keeps_the_total(
    new: list[Allocation],
) -> None:
    """Operate: every non-zero share listed, each asset's total unchanged."""
    with refused("allocations"):
        rules.operate(holding("5", "1").allocations or (), new)


def test_a_zero_share_may_be_left_out_of_a_redistribution() -> None:
    """Only non-zero shares must be listed."""
    rules.operate(holding("5", "0").allocations or (), [allocation(ME, "5")])


@pytest.mark.parametrize(
    "new",
    [
        [allocation(ME, "5"), allocation(PEER, "2")],  # an increase
        [allocation(ME, "4")],  # the counterparty's share is missing
        [allocation(ME, "5"), allocation(PEER, "1"), allocation(ME, "1", "weth")],
    ],
)
def test_a_withdrawal_only_shrinks_listed_shares(new: list[Allocation]) -> None:
    """Withdraw: no increase, no missing share, no new share."""
    with refused("allocations"):
        rules.withdraw(holding("5", "1").allocations or (), new)


@pytest.mark.parametrize(
    "new",
    [
        [allocation(ME, "6"), allocation(PEER, "1"), allocation(ME, "1", "weth")],
        [allocation(ME, "5"), allocation(PEER, "2")],  # the counterparty's share
        [allocation(ME, "4"), allocation(PEER, "1")],  # a decrease
        [allocation(ME, "6")],  # the counterparty's 1 is missing
        [allocation(ME, "5"), allocation(PEER, "1")],  # nothing grows
    ],
)
def test_a_deposit_grows_one_asset_of_our_own_share(new: list[Allocation]) -> None:
    """One commit funds one asset, signed by our wallet: only our share may grow."""
    with refused("allocations"):
        rules.deposit(holding("5", "1").allocations or (), new, ME)


def test_a_deposit_returns_the_increase_and_lists_no_zero_share() -> None:
    """The commit amount is the increase; zero shares are left out of the update."""
    current = holding("5", "0").allocations or ()
    new = (allocation(ME, "7.5"), allocation(PEER, "0"))
    assert rules.deposit(current, new, ME) == allocation(ME, "2.5")
    assert rules.without_zero_shares(new) == (allocation(ME, "7.5"),)


def test_a_close_keeps_the_shares_as_they_stand() -> None:
    """Zeros and notation aside, a close's allocations are the current ones."""
    current = holding("5", "0").allocations or ()
    assert rules.same_shares(current, [allocation(ME, "5.00")])
    assert not rules.same_shares(current, [allocation(ME, "4"), allocation(PEER, "1")])


@pytest.mark.parametrize(
    ("session", "to", "amount", "field"),
    [
        (holding("1", "0"), PEER, "1.5", "amount"),
        (holding("5", "0"), ME, "1", "to"),
        (holding("5", "0"), OTHER, "1", "to"),
        (holding("5", "0"), PEER, "0.0000001", "amount"),
        (holding("5", "0", status="closed"), PEER, "1", "app_session_id"),
        (holding("5", "0", allocations=None), PEER, "1", "app_session_id"),
        (holding("5", "0", weights=(1, 100), quorum=100), PEER, "1", "quorum"),
    ],
)
def test_a_payment_must_fit_our_share(
    session: AppSession, to: str, amount: str, field: str
) -> None:
    """Refuse a payment that does not fit.

    Not more than our share, not to ourselves or a stranger, in an open session that
    our signature alone can change.
    """
    with refused(field):
        rules.payment(session, ME, to, ASSETS[YUSD], amount)


def test_a_payment_moves_the_amount_between_the_shares() -> None:
    """Exactly, however many digits."""
    session = holding("1000000000000000000000000000000.000001", "0")
    paid = rules.payment(session, ME, PEER.lower(), ASSETS[YUSD], "0.000001")
    assert paid == (
        allocation(ME, "1000000000000000000000000000000"),
        allocation(PEER, "0.000001"),
    )


async def test_an_operation_refused_by_a_rule_sends_nothing(local: Local) -> None:
    """The rules run before anything is signed or sent."""
    local.fund()
    bad = replace(DEFINITION, participants=(local.wallet.address, PEER), quorum=0)
    with refused("quorum"):
        await local.ops.open_session(bad, {YUSD: Decimal(1)})
    with refused("amount"):
        await local.ops.open_session(
            replace(bad, quorum=100), {YUSD: Decimal("0.0000001")}
        )
    with refused("asset"):
        await local.ops.open_session(replace(bad, quorum=100), {"usdt": Decimal(1)})
    assert local.sender.requests == []
