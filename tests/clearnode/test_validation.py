"""Client-side validation refuses what the ClearNode would refuse, naming the field."""

from dataclasses import replace
from decimal import Decimal

import pytest

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    ClearNodeValidationError,
    validation,
)

WALLET = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
PEER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
STRANGER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"

DEFINITION = AppDefinition(
    application="home-assistant",
    protocol="NitroRPC/0.4",
    participants=(WALLET.lower(), PEER),
    weights=(100, 0),
    quorum=100,
    challenge=0,
    nonce=1,
)


def session(allocations=None, **changes) -> AppSession:
    """Return an open NitroRPC/0.4 session between WALLET and PEER."""
    base = AppSession(
        app_session_id="0x" + "ab" * 32,
        application="home-assistant",
        status="open",
        participants=(WALLET, PEER),
        weights=(100, 0),
        quorum=100,
        protocol="NitroRPC/0.4",
        challenge=0,
        nonce=1,
        version=3,
        session_data=None,
        created_at="",
        updated_at="",
        allocations=allocations,
    )
    return replace(base, **changes)


def alloc(wallet: str, peer: str, asset: str = "usdc") -> tuple[Allocation, ...]:
    """Return allocations of one asset to WALLET and PEER."""
    return (
        Allocation(WALLET, asset, Decimal(wallet)),
        Allocation(PEER, asset, Decimal(peer)),
    )


def assert_refused(field: str, call, *args, **kwargs) -> None:
    """Assert that ``call`` raises a validation error naming ``field``."""
    with pytest.raises(ClearNodeValidationError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field


def test_valid_definition_comes_back_with_checksummed_participants() -> None:
    """A valid definition passes, with every address in EIP-55 form."""
    assert validation.definition(DEFINITION).participants == (WALLET, PEER)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"protocol": "nitroliterpc"}, "protocol"),
        ({"participants": (WALLET,), "weights": (100,)}, "participants"),
        ({"participants": (WALLET, "0x1234")}, "participants"),
        ({"weights": (100,)}, "weights"),
        ({"weights": (100, -1)}, "weights"),
        ({"quorum": 101}, "quorum"),
        ({"quorum": -1}, "quorum"),
        ({"nonce": 0}, "nonce"),
        ({"nonce": 2**64}, "nonce"),
        ({"challenge": -5}, "challenge"),
    ],
)
def test_definition_rules_mirror_the_server(changes, field) -> None:
    """Each server rule on definitions is checked before sending."""
    assert_refused(field, validation.definition, replace(DEFINITION, **changes))


def test_protocol_0_2_is_supported() -> None:
    """NitroRPC/0.2 definitions are accepted."""
    assert validation.definition(replace(DEFINITION, protocol="NitroRPC/0.2"))


@pytest.mark.parametrize("value", ["-1", "abc", "NaN", "Infinity", 1.5, True, None])
def test_amounts_must_be_non_negative_decimals(value) -> None:
    """Negative, non-numeric, infinite and float amounts are refused."""
    assert_refused("amount", validation.amount, value, "amount")


@pytest.mark.parametrize("value", ["0", "0.000001", 5, Decimal("1E+3")])
def test_amounts_accept_decimal_strings_ints_and_decimals(value) -> None:
    """Decimal strings, integers and Decimals are accepted as Decimals."""
    assert validation.amount(value, "amount") == Decimal(value)


def test_allocations_must_name_participants_once() -> None:
    """Strangers, unknown assets and duplicates are refused."""
    members = (WALLET, PEER)
    stranger = (Allocation(STRANGER, "usdc", Decimal(1)),)
    assert_refused("allocations.participant", validation.allocations, stranger, members)
    no_asset = (Allocation(WALLET, "", Decimal(1)),)
    assert_refused("allocations.asset", validation.allocations, no_asset, members)
    twice = (*alloc("1", "0"), Allocation(WALLET, "usdc", Decimal(2)))
    assert_refused("allocations", validation.allocations, twice, members)
    negative = (Allocation(WALLET, "usdc", Decimal(-1)),)
    assert_refused("allocations.amount", validation.allocations, negative, members)


def test_operate_and_close_must_redistribute_exactly() -> None:
    """Per asset, the new allocations must add up to the current holdings."""
    current = session(alloc("10", "0"))
    assert validation.state_change(current, alloc("4", "6"), "operate")
    assert validation.state_change(current, alloc("0", "10"), "close")
    for change in ("operate", "close"):
        assert_refused(
            "allocations",
            validation.state_change,
            current,
            alloc("4", "5"),
            change,
        )
    assert_refused(
        "allocations",
        validation.state_change,
        current,
        (*alloc("10", "0"), Allocation(PEER, "ytest.usd", Decimal(1))),
        "operate",
    )


def test_a_unit_lost_beside_a_holding_of_31_digits_is_refused() -> None:
    """Totals are exact: 28-digit rounding would hide the unit that goes missing."""
    huge = 10**30
    current = session(alloc(str(huge), "1"))
    assert_refused(
        "allocations",
        validation.state_change,
        current,
        alloc(str(huge), "0"),
        "operate",
    )
    assert validation.state_change(current, alloc(str(huge + 1), "0"), "operate")


def test_unknown_current_allocations_skip_the_sum_check() -> None:
    """When the holdings are unknown the totals cannot be checked client-side."""
    assert validation.state_change(session(None), alloc("1", "2"), "operate")


def test_deposit_only_increases_and_withdraw_only_decreases() -> None:
    """Deposits never decrease an allocation; withdrawals never increase one."""
    current = session(alloc("10", "5"))
    assert validation.state_change(current, alloc("12", "5"), "deposit")
    assert validation.state_change(current, alloc("10", "1"), "withdraw")
    for new, change in [
        (alloc("10", "5"), "deposit"),
        (alloc("12", "4"), "deposit"),
        (alloc("10", "5"), "withdraw"),
        (alloc("9", "6"), "withdraw"),
    ]:
        assert_refused("allocations", validation.state_change, current, new, change)


def test_state_changes_need_an_open_session() -> None:
    """Closed sessions and deposits on NitroRPC/0.2 sessions are refused."""
    assert_refused(
        "app_session_id",
        validation.state_change,
        session(status="closed"),
        alloc("1", "0"),
        "operate",
    )
    assert_refused(
        "intent",
        validation.state_change,
        session(protocol="NitroRPC/0.2"),
        alloc("1", "0"),
        "deposit",
    )


def test_version_is_current_plus_one() -> None:
    """The next version is current + 1 and nothing else."""
    assert validation.next_version(session(), None) == 4
    assert validation.next_version(session(), 4) == 4
    assert_refused("version", validation.next_version, session(), 5)


def test_intent_names() -> None:
    """Only operate, deposit and withdraw are intents."""
    assert validation.intent("deposit") == "deposit"
    assert_refused("intent", validation.intent, "close")


def test_stray_signers_are_refused() -> None:
    """A signer outside the participants would make the server fail the request."""
    validation.signers([WALLET.lower()], (WALLET, PEER))
    assert_refused("signers", validation.signers, [STRANGER], (WALLET, PEER))


def test_transfer_rules() -> None:
    """Transfers need another valid destination and positive amounts."""
    target, amounts = validation.transfer(PEER.lower(), [("usdc", "1.5")], WALLET)
    assert (target, amounts) == (PEER, (("usdc", Decimal("1.5")),))
    assert_refused("destination", validation.transfer, "0x12", [("usdc", "1")], WALLET)
    assert_refused("destination", validation.transfer, WALLET, [("usdc", "1")], WALLET)
    assert_refused("allocations", validation.transfer, PEER, [], WALLET)
    assert_refused(
        "allocations.amount", validation.transfer, PEER, [("usdc", "0")], WALLET
    )
    assert_refused("allocations.asset", validation.transfer, PEER, [("", "1")], WALLET)


def test_weights_of_splits_ours_from_the_others() -> None:
    """Our weight, and every other participant's weight together."""
    three = replace(
        DEFINITION, participants=(WALLET, PEER, STRANGER), weights=(5, 7, 9)
    )
    assert validation.weights_of(three, WALLET) == (5, 16)
    assert validation.weights_of(three, "0x" + "00" * 20) == (0, 21)


def test_we_can_sign_alone_only_where_our_weight_reaches_the_quorum() -> None:
    """A participant below the quorum, or no participant at all, cannot sign alone."""
    validation.check_signable_alone(session(), WALLET)
    assert_refused("quorum", validation.check_signable_alone, session(), PEER)
    assert_refused("signers", validation.check_signable_alone, session(), STRANGER)


def test_only_we_may_fund_a_session_we_create_alone() -> None:
    """Another participant's positive allocation needs their signature: refused."""
    assert validation.other_funders(alloc("5", "0"), WALLET) == []
    assert validation.other_funders(alloc("5", "1"), WALLET) == [PEER]
    validation.check_funded_only_by(alloc("5", "0"), WALLET)
    assert_refused(
        "allocations", validation.check_funded_only_by, alloc("0", "1"), WALLET
    )
