"""submit_app_state and submit_deposit_state refuse bad updates with the node's texts.

The session is the vectors' two-party one (quorum 2), funded by their deposit frame:
version 2, the user holds 5 yusd.
"""

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
import json
from typing import Any

import pytest

from custom_components.nitrolite.clearnode.models import Allocation
from custom_components.nitrolite.clearnode.v1.models import AppIntent
from custom_components.nitrolite.clearnode.v1.state import (
    ChannelState,
    apply_commit,
    next_state,
    sign_state,
)
from local_nitronode import LocalNitronode
from tests.clearnode.v1.vectors import address, frames, signer, two_party

from .peer import Peer
from .wallet import signed_update, update

SUBMIT = "app_sessions.v1.submit_app_state"
DEPOSIT = "app_sessions.v1.submit_deposit_state"
SESSION_ID = two_party()["create"]["app_session_id"]
USER, PEER = address("user"), address("peer")
SETUP = (
    "request_creation_ack",
    "submit_session_key_state",
    "create_app_session",
    "submit_deposit_state",
)


@pytest.fixture
async def funded(node: LocalNitronode, peer: Peer) -> Peer:
    """Replay the vectors up to the deposit: the user holds 5 in the session."""
    node.fund(USER, "yusd", Decimal(10))
    for name in SETUP:
        assert (await peer.raw(frames()[name])).error is None
    return peer


def shares(user: str, peer_share: str | None = None) -> list[Allocation]:
    """Return the user's (and optionally the peer's) yusd allocation."""
    result = [Allocation(USER, "yusd", Decimal(user))]
    if peer_share is not None:
        result.append(Allocation(PEER, "yusd", Decimal(peer_share)))
    return result


def both(
    intent: AppIntent,
    allocations: Sequence[Allocation],
    version: int = 3,
    session_data: str = "",
) -> dict[str, Any]:
    """Return an update signed by both participants."""
    proposal = update(SESSION_ID, intent, version, allocations, session_data)
    return signed_update(proposal, [signer("user"), signer("peer")])


def raw_update(**fields: Any) -> dict[str, Any]:
    """Return a two-party operate update with some wire fields replaced."""
    payload = both(AppIntent.OPERATE, shares("4", "1"))
    payload["app_state_update"].update(fields)
    return payload


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            raw_update(session_data="x" * 1025, intent=9),
            "session_data exceeds maximum length of 1024",
        ),
        (raw_update(version="three"), "failed to parse app state update"),
        (
            raw_update(
                allocations=[{"participant": USER, "asset": "yusd", "amount": "1,5"}]
            ),
            "failed to parse app state update",
        ),
        (raw_update(intent=1), "deposit intent must use submit_deposit_state endpoint"),
        (raw_update(intent=4), "invalid intent: unknown"),
        (raw_update(app_session_id="0x" + "0" * 64), "app session not found"),
        (
            raw_update() | {"quorum_sigs": ["0x"] * 3},
            "quorum_sigs count (3) exceeds participants count (2)",
        ),
        (raw_update(version="5"), "invalid app session version: expected 3, got 5"),
        (raw_update() | {"quorum_sigs": []}, "no signatures provided"),
        (
            signed_update(
                update(SESSION_ID, AppIntent.OPERATE, 3, shares("4", "1")),
                [signer("user")],
            ),
            "quorum not met: achieved 1, required 2",
        ),
        (
            both(
                AppIntent.OPERATE,
                [*shares("4"), Allocation(address("node"), "yusd", Decimal(1))],
            ),
            f"allocation to non-participant {address('node')}",
        ),
        (
            both(AppIntent.OPERATE, shares("6", "-1")),
            "negative allocation: -1 for asset yusd",
        ),
        (
            both(AppIntent.OPERATE, shares("4.0000001", "0.9999999")),
            (
                f"invalid amount for allocation with asset yusd and participant {USER}: "
                "amount exceeds maximum decimal precision: max 6 decimals allowed, got 7"
            ),
        ),
        (
            both(AppIntent.OPERATE, [*shares("4", "1"), *shares("4")]),
            f"duplicate allocation for participant {USER}, asset yusd",
        ),
        (
            both(AppIntent.OPERATE, [Allocation(PEER, "yusd", Decimal(5))]),
            (
                f"operate intent missing allocation for participant {USER}, asset yusd "
                "with current amount 5"
            ),
        ),
        (
            both(AppIntent.OPERATE, shares("4", "0.5")),
            (
                "operate intent allocation mismatch for asset yusd: "
                "total allocations 4.5, session balance 5"
            ),
        ),
        (
            both(AppIntent.WITHDRAW, shares("4", "1")),
            (
                f"withdraw intent cannot add new allocation for participant {PEER}, "
                "asset yusd"
            ),
        ),
        (
            both(AppIntent.WITHDRAW, []),
            (
                f"withdraw intent missing allocation for participant {USER}, asset yusd "
                "with current amount 5"
            ),
        ),
        (
            both(AppIntent.WITHDRAW, shares("6")),
            (
                f"withdraw intent cannot increase allocations: participant {USER}, "
                "asset yusd"
            ),
        ),
        (
            both(AppIntent.CLOSE, []),
            (
                f"close intent missing allocation for participant {USER}, asset yusd "
                "with current amount 5"
            ),
        ),
        (
            both(AppIntent.CLOSE, shares("4.5")),
            (
                "close intent requires allocations to match current state: "
                f"participant {USER}, asset yusd, current 5, provided 4.5"
            ),
        ),
        (
            both(AppIntent.CLOSE, shares("5", "1")),
            (
                f"close intent contains unexpected allocation for participant {PEER}, "
                "asset yusd with amount 1"
            ),
        ),
        (
            both(
                AppIntent.OPERATE, [*shares("5"), Allocation(PEER, "gold", Decimal(0))]
            ),
            "failed to get asset decimals: asset 'gold' is not supported",
        ),
        (
            both(AppIntent.WITHDRAW, shares("4.0000001")),
            (
                f"invalid withdraw amount for allocation with asset yusd and participant "
                f"{USER}: amount exceeds maximum decimal precision: "
                "max 6 decimals allowed, got 7"
            ),
        ),
        (
            raw_update(
                allocations=[{"participant": "bob", "asset": "yusd", "amount": "5"}]
            ),
            (
                "failed to pack app state update: "
                "allocations.participant: must be 0x and 20 bytes of hex"
            ),
        ),
        (
            raw_update() | {"quorum_sigs": ["0xa1" + "00" * 65]},
            (
                "failed to recover user wallet: failed to recover wallet address: "
                "signature recovery failed: invalid signature"
            ),
        ),
        (
            raw_update() | {"quorum_sigs": ["0xa2" + "00" * 10]},
            (
                "failed to recover user wallet: failed to recover session key address: "
                "invalid signature length"
            ),
        ),
        (raw_update(intent="0"), "failed to parse parameters"),
    ],
)
async def test_submit_app_state_refusals(
    funded: Peer, payload: dict[str, Any], error: str
) -> None:
    """Each bad update fails with the node's text and changes nothing."""
    assert await funded.error(SUBMIT, payload) == error
    listing = await funded.call(
        "app_sessions.v1.get_app_sessions", {"app_session_id": SESSION_ID}
    )
    assert listing["app_sessions"][0]["version"] == "2"


async def test_a_version_conflict_is_reported_and_consumes_nothing(
    funded: Peer,
) -> None:
    """Of two updates built on version 2 the first wins; the second learns the version.

    A refused update does not use up a version.
    """
    first = both(AppIntent.OPERATE, shares("4", "1"))
    second = both(AppIntent.OPERATE, shares("3", "2"))
    assert await funded.call(SUBMIT, first) == {}
    assert (
        await funded.error(SUBMIT, second)
        == "invalid app session version: expected 4, got 3"
    )
    rebuilt = both(AppIntent.OPERATE, shares("3", "2"), version=4)
    assert await funded.call(SUBMIT, rebuilt) == {}


async def test_a_withdrawal_releases_the_decrease(
    node: LocalNitronode, funded: Peer
) -> None:
    """Withdraw shrinks an allocation and pays the difference out as a release."""
    assert await funded.call(SUBMIT, both(AppIntent.WITHDRAW, shares("3"))) == {}
    assert node.allocations(SESSION_ID) == {(USER, "yusd"): Decimal(3)}
    assert node.balance(USER, "yusd") == Decimal(7)


async def test_a_closed_session_takes_no_more_updates(
    node: LocalNitronode, funded: Peer
) -> None:
    """After the close, any update or deposit is refused as already closed."""
    assert await funded.call(SUBMIT, both(AppIntent.CLOSE, shares("5"))) == {}
    late = both(AppIntent.OPERATE, shares("5"), version=4)
    assert await funded.error(SUBMIT, late) == "app session is already closed"
    deposit = deposit_payload(await commit_of(node, "1"), shares("1"), version=4)
    assert await funded.error(DEPOSIT, deposit) == "app session is already closed"


async def commit_of(node: LocalNitronode, amount: str) -> ChannelState:
    """Return the user's signed commit of ``amount`` into the session."""
    return sign_state(unsigned_commit(node, amount), signer("user"), 6)


def unsigned_commit(node: LocalNitronode, amount: str) -> ChannelState:
    """Return the user's commit of ``amount``, not signed (it may not even pack)."""
    latest = node.latest_state(USER, "yusd")
    assert latest is not None
    return apply_commit(next_state(latest), SESSION_ID, Decimal(amount))


def deposit_payload(
    commit: ChannelState,
    allocations: Sequence[Allocation],
    *,
    version: int = 3,
    intent: AppIntent = AppIntent.DEPOSIT,
) -> dict[str, Any]:
    """Return a deposit request: the update signed by both, and the commit."""
    return both(intent, allocations, version) | {"user_state": commit.to_wire()}


async def test_a_second_deposit_adds_to_the_session(
    node: LocalNitronode, funded: Peer
) -> None:
    """The user tops up with the rest of the channel: allocations grow by the commit."""
    payload = deposit_payload(await commit_of(node, "5"), shares("10"))
    assert "signature" in await funded.call(DEPOSIT, payload)
    assert node.allocations(SESSION_ID) == {(USER, "yusd"): Decimal(10)}
    assert node.balance(USER, "yusd") == 0


async def test_submit_deposit_state_refusals(
    node: LocalNitronode, funded: Peer
) -> None:
    """Each bad deposit fails with the node's text, in the node's order."""
    good = await commit_of(node, "2")
    wire = good.to_wire()
    cases: list[tuple[dict[str, Any], str]] = [
        (
            deposit_payload(good, shares("7"))
            | {"user_state": wire | {"user_wallet": "0x12"}},
            (
                "invalid user_wallet: invalid hex address: incorrect length, "
                "expected 42 characters including 0x prefix"
            ),
        ),
        (
            deposit_payload(good, shares("7")) | {"user_state": wire | {"epoch": "x"}},
            "failed to parse user state",
        ),
        (
            deposit_payload(good, shares("7"), version=4),
            "invalid app session version: expected 3, got 4",
        ),
        (
            deposit_payload(good, shares("7"), intent=AppIntent.OPERATE),
            "invalid intent: expected 'deposit', got 'operate'",
        ),
        (
            deposit_payload(good, shares("7")) | {"quorum_sigs": []},
            "no signatures provided",
        ),
        (
            deposit_payload(good, shares("7"))
            | {"user_state": wire | {"transition": wire["transition"] | {"type": 30}}},
            "user state transition must have 'commit' type, got 'transfer_send'",
        ),
        (
            deposit_payload(good, shares("7"))
            | {
                "user_state": wire
                | {"transition": wire["transition"] | {"account_id": "0x" + "1" * 64}}
            },
            (
                f"user state transition account ID '0x{'1' * 64}' "
                f"does not match app session ID '{SESSION_ID}'"
            ),
        ),
        (
            deposit_payload(replace(good, user_sig=None), shares("7")),
            "missing user signature on user state",
        ),
        (
            deposit_payload(replace(good, version=good.version + 1), shares("7")),
            (
                f"invalid state transitions: version mismatch: expected={good.version}, "
                f"proposed={good.version + 1}"
            ),
        ),
        (
            deposit_payload(
                replace(unsigned_commit(node, "6"), user_sig="0x00" + "11" * 65),
                shares("11"),
            ),
            (
                "invalid state transitions: invalid home ledger: "
                "user balance cannot be negative"
            ),
        ),
        (
            deposit_payload(
                replace(good, user_sig=sign_state(good, signer("peer"), 6).user_sig),
                shares("7"),
            ),
            "failed to validate signature: invalid signature",
        ),
        (
            deposit_payload(good, shares("7"))
            | {"quorum_sigs": [both(AppIntent.DEPOSIT, shares("7"))["quorum_sigs"][0]]},
            "quorum not met: achieved 1, required 2",
        ),
        (
            deposit_payload(good, [*shares("7", "0")]),
            (
                f"zero allocation for participant {PEER}, asset yusd "
                "with no existing balance"
            ),
        ),
        (
            deposit_payload(good, shares("4")),
            f"decreased allocation for yusd for participant {USER}",
        ),
        (
            deposit_payload(good, [*shares("5"), Allocation(PEER, "usdc", Decimal(2))]),
            (
                "app session deposit allocation for asset 'usdc' does not match "
                "user channel state asset 'yusd'"
            ),
        ),
        (
            deposit_payload(good, shares("6")),
            "total deposit amount 1 does not match transition amount 2",
        ),
    ]
    unknown = deposit_payload(good, shares("7"))
    unknown["app_state_update"]["app_session_id"] = "0x" + "0" * 64
    cases.insert(0, (unknown, "app session not found"))
    for payload, error in cases:
        assert await funded.error(DEPOSIT, payload) == error
    assert node.allocations(SESSION_ID) == {(USER, "yusd"): Decimal(5)}


async def test_a_deposit_needs_an_active_channel(
    node: LocalNitronode, peer: Peer
) -> None:
    """Without the acknowledgement there is no channel to commit from."""
    node.fund(USER, "yusd", Decimal(10))
    for name in ("submit_session_key_state", "create_app_session"):
        assert (await peer.raw(frames()[name])).error is None
    deposit = json.loads(frames()["submit_deposit_state"])[3]
    error = await peer.error(DEPOSIT, deposit)
    assert error == "user has no active channel"
