"""App sessions with the real server's rules and error texts."""

from decimal import Decimal
from typing import Any

import pytest

from custom_components.nitrolite.clearnode import signing
from custom_components.nitrolite.clearnode.v05 import app_session_id
from local_clearnode import LocalClearNode

from .conftest import Connect
from .peer import Peer, now_ms

APP = "home-assistant"


def definition(
    wallet: signing.Signer, counterparty: signing.Signer, **changes: Any
) -> dict[str, Any]:
    """Return a 0.4 definition (weights 100/0, quorum 100) with a fresh nonce."""
    return {
        "application": APP,
        "protocol": "NitroRPC/0.4",
        "participants": [wallet.address, counterparty.address],
        "weights": [100, 0],
        "quorum": 100,
        "challenge": 0,
        "nonce": now_ms(),
    } | changes


def split(
    wallet: signing.Signer, counterparty: signing.Signer, mine: str, theirs: str
) -> list[dict[str, str]]:
    """Return usdc allocations for wallet and counterparty."""
    return [
        {"participant": wallet.address, "asset": "usdc", "amount": mine},
        {"participant": counterparty.address, "asset": "usdc", "amount": theirs},
    ]


@pytest.fixture
async def opened(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> tuple[Peer, str]:
    """Open a 0.4 session holding 30 usdc from the wallet, created with the session key."""
    spec = definition(wallet, counterparty)
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "30", "0")},
        [session_key],
    )
    assert answer.method == "create_app_session", answer
    logged_in.pushes.clear()
    return logged_in, answer.result["app_session_id"]


async def test_create_answers_go_zero_values_and_the_derived_id(
    logged_in: Peer,
    node: LocalClearNode,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Create answers go zero values and the derived id."""
    spec = definition(wallet, counterparty)
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "30", "0")},
        [session_key],
    )

    assert answer.result == {
        "app_session_id": app_session_id(spec),
        "application": "",
        "status": "open",
        "participants": None,
        "protocol": "",
        "challenge": 0,
        "weights": None,
        "quorum": 0,
        "version": 1,
        "nonce": 0,
        "created_at": "",
        "updated_at": "",
    }
    assert node.balance(wallet.address, "usdc") == 70
    assert [p.method for p in logged_in.pushes] == ["bu", "bu"]


async def test_protocol_nitroliterpc_is_unsupported(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Protocol "nitroliterpc" is unsupported."""
    spec = definition(wallet, counterparty, protocol="nitroliterpc")
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "1", "0")},
        [session_key],
    )

    assert answer.error == "unsupported protocol: nitroliterpc"


async def test_a_zero_nonce_is_refused(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A zero nonce is refused."""
    spec = definition(wallet, counterparty, nonce=0)
    answer = await logged_in.request(
        "create_app_session", {"definition": spec, "allocations": []}, [session_key]
    )

    assert answer.error == "nonce is zero or not provided"


async def test_the_same_definition_twice_collides(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """The same definition twice collides."""
    spec = definition(wallet, counterparty)
    params = {"definition": spec, "allocations": split(wallet, counterparty, "1", "0")}
    await logged_in.request("create_app_session", params, [session_key])
    answer = await logged_in.request("create_app_session", params, [session_key])

    assert answer.error == "failed to create application session"


async def test_insufficient_funds_names_the_wallet(
    logged_in: Peer, wallet: signing.Signer, counterparty: signing.Signer
) -> None:
    """Insufficient funds names the wallet."""
    spec = definition(wallet, counterparty)
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "100.5", "0")},
        [wallet],
    )

    assert answer.error == f"insufficient funds: {wallet.address} for asset usdc"


async def test_every_depositor_must_sign(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Every depositor must sign."""
    spec = definition(wallet, counterparty)
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "1", "1")},
        [session_key],
    )

    assert answer.error == f"missing signature for participant {counterparty.address}"


async def test_both_depositors_signing_funds_the_session(
    logged_in: Peer,
    node: LocalClearNode,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Both depositors signing funds the session."""
    spec = definition(wallet, counterparty)
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "1", "2")},
        [session_key, counterparty],
    )

    assert answer.method == "create_app_session", answer
    assert node.balance(counterparty.address, "usdc") == 18


async def test_a_session_key_cannot_spend_over_its_allowance(
    logged_in: Peer,
    node: LocalClearNode,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A session key cannot spend over its allowance."""
    spec = definition(wallet, counterparty)
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "51", "0")},
        [session_key],
    )

    assert answer.error is not None
    assert answer.error.endswith(
        "operation denied: insufficient session key allowance: 51 required, 50 available"
    )
    assert node.balance(wallet.address, "usdc") == 100


async def test_allowance_spending_is_cumulative(
    opened: tuple[Peer, str],
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Allowance spending is cumulative."""
    peer, _ = opened
    spec = definition(wallet, counterparty, nonce=now_ms() + 1)
    answer = await peer.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "21", "0")},
        [session_key],
    )

    assert answer.error is not None
    assert (
        "insufficient session key allowance: 21 required, 20 available" in answer.error
    )


async def test_a_key_for_another_application_cannot_fund(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A key for another application cannot fund."""
    spec = definition(wallet, counterparty, application="other-app")
    answer = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "1", "0")},
        [session_key],
    )

    assert answer.error == (
        "session key application validation failed: session key application mismatch: "
        "session key is for 'home-assistant', but app session is for 'other-app'"
    )


async def test_operate_redistributes_and_pushes_the_new_state(
    opened: tuple[Peer, str],
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Operate redistributes and pushes the new state."""
    peer, session_id = opened
    answer = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 2,
            "allocations": split(wallet, counterparty, "12", "18"),
            "session_data": '{"round":1}',
        },
        [session_key],
    )
    app_state = next(p for p in peer.pushes if p.method == "asu")

    assert (answer.result["version"], answer.result["status"]) == (2, "open")
    assert app_state.result["app_session"]["version"] == 2
    assert app_state.result["app_session"]["session_data"] == '{"round":1}'
    assert app_state.result["participant_allocations"] == [
        {"participant": wallet.address, "asset": "usdc", "amount": "12"},
        {"participant": counterparty.address, "asset": "usdc", "amount": "18"},
    ]


async def test_shares_are_kept_exactly_past_28_significant_digits(
    opened: tuple[Peer, str],
    node: LocalClearNode,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Like shopspring/decimal, the ledger adds and subtracts without rounding."""
    peer, session_id = opened
    mine, theirs = "29.99999999999999999999999999999", "0.00000000000000000000000000001"
    await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 2,
            "allocations": split(wallet, counterparty, mine, theirs),
        },
        [session_key],
    )
    app_state = next(p for p in peer.pushes if p.method == "asu")

    assert [a["amount"] for a in app_state.result["participant_allocations"]] == [
        mine,
        theirs,
    ]
    assert node.allocation(session_id, wallet.address, "usdc") == Decimal(mine)


async def test_a_wrong_version_names_the_expected_one(
    opened: tuple[Peer, str],
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A wrong version names the expected one."""
    peer, session_id = opened
    answer = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 5,
            "allocations": split(wallet, counterparty, "30", "0"),
        },
        [session_key],
    )

    assert answer.error == "incorrect app state: incorrect version: expected 2, got 5"


async def test_operate_must_keep_the_total(
    opened: tuple[Peer, str],
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Operate must keep the total."""
    peer, session_id = opened
    answer = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 2,
            "allocations": split(wallet, counterparty, "10", "10"),
        },
        [session_key],
    )

    assert (
        answer.error
        == "incorrect operate request: non-zero allocations sum delta: asset usdc not fully redistributed"
    )


async def test_a_signer_who_is_not_a_participant_fails_the_request(
    opened: tuple[Peer, str],
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A signer who is not a participant fails the request."""
    peer, session_id = opened
    stranger = signing.Signer.generate()
    answer = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 2,
            "allocations": split(wallet, counterparty, "30", "0"),
        },
        [session_key, stranger],
    )

    assert (
        answer.error == f"signature from unknown participant wallet {stranger.address}"
    )


async def test_quorum_counts_weights_of_signers(
    opened: tuple[Peer, str], wallet: signing.Signer, counterparty: signing.Signer
) -> None:
    """Quorum counts weights of signers."""
    peer, session_id = opened
    answer = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 2,
            "allocations": split(wallet, counterparty, "0", "30"),
        },
        [counterparty],
    )

    assert answer.error == "incorrect submit_state request: quorum not reached: 0 / 100"


async def test_deposit_and_withdraw_move_unified_balance(
    opened: tuple[Peer, str],
    node: LocalClearNode,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Deposit and withdraw move unified balance."""
    peer, session_id = opened
    deposit = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "deposit",
            "version": 2,
            "allocations": split(wallet, counterparty, "35", "0"),
        },
        [session_key],
    )
    after_deposit = node.balance(wallet.address, "usdc")
    withdraw = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "withdraw",
            "version": 3,
            "allocations": split(wallet, counterparty, "5", "0"),
        },
        [session_key],
    )

    assert deposit.result["version"] == 2, deposit
    assert after_deposit == 65
    assert withdraw.result["version"] == 3, withdraw
    assert node.balance(wallet.address, "usdc") == 95


async def test_a_deposit_needs_the_depositors_signature(
    opened: tuple[Peer, str],
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A deposit needs the depositors signature."""
    peer, session_id = opened
    answer = await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "deposit",
            "version": 2,
            "allocations": split(wallet, counterparty, "30", "5"),
        },
        [session_key],
    )

    assert answer.error == "incorrect deposit request: depositor signature is required"


async def test_close_must_redistribute_everything(
    opened: tuple[Peer, str],
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Close must redistribute everything."""
    peer, session_id = opened
    answer = await peer.request(
        "close_app_session",
        {
            "app_session_id": session_id,
            "allocations": split(wallet, counterparty, "20", "5"),
        },
        [session_key],
    )

    assert answer.error == "asset usdc not fully redistributed"


async def test_close_pays_out_and_bumps_the_version(
    opened: tuple[Peer, str],
    node: LocalClearNode,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Close pays out and bumps the version."""
    peer, session_id = opened
    answer = await peer.request(
        "close_app_session",
        {
            "app_session_id": session_id,
            "allocations": split(wallet, counterparty, "20", "10"),
        },
        [session_key],
    )
    again = await peer.request(
        "close_app_session",
        {
            "app_session_id": session_id,
            "allocations": split(wallet, counterparty, "20", "10"),
        },
        [session_key],
    )

    assert (answer.result["status"], answer.result["version"]) == ("closed", 2)
    assert node.balance(wallet.address, "usdc") == 90
    assert node.balance(counterparty.address, "usdc") == 30
    assert node.app_sessions[session_id].status == "closed"
    assert again.error == "an open app session not found: record not found"


async def test_version_0_2_refuses_intent_and_version(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Version 0.2 refuses intent and version."""
    spec = definition(wallet, counterparty, protocol="NitroRPC/0.2")
    created = await logged_in.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "2", "0")},
        [session_key],
    )
    session_id = created.result["app_session_id"]
    refused = await logged_in.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 2,
            "allocations": split(wallet, counterparty, "1", "1"),
        },
        [session_key],
    )
    accepted = await logged_in.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "allocations": split(wallet, counterparty, "1", "1"),
        },
        [session_key],
    )

    assert (
        refused.error
        == "incorrect request: specified parameters are not supported in this protocol"
    )
    assert accepted.result["version"] == 2


async def test_balances_of_a_session_are_the_callers_own_share(
    opened: tuple[Peer, str],
    connect: Connect,
    counterparty: signing.Signer,
    wallet: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Balances of a session are the callers own share."""
    peer, session_id = opened
    await peer.request(
        "submit_app_state",
        {
            "app_session_id": session_id,
            "intent": "operate",
            "version": 2,
            "allocations": split(wallet, counterparty, "12", "18"),
        },
        [session_key],
    )
    mine = await peer.request(
        "get_ledger_balances", {"account_id": session_id}, [session_key]
    )

    assert mine.result == {"ledger_balances": [{"asset": "usdc", "amount": "12"}]}


async def test_listing_filters_pages_and_sorts_by_update(
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Listing filters pages and sorts by update."""
    ids = []
    for offset in range(3):
        spec = definition(wallet, counterparty, nonce=now_ms() + offset)
        answer = await logged_in.request(
            "create_app_session", {"definition": spec, "allocations": []}, [session_key]
        )
        ids.append(answer.result["app_session_id"])
    page = await logged_in.request(
        "get_app_sessions", {"participant": wallet.address, "limit": 2, "sort": "asc"}
    )
    nobody = await logged_in.request(
        "get_app_sessions", {"participant": wallet.address.lower()}
    )
    definition_answer = await logged_in.request(
        "get_app_definition", {"app_session_id": ids[0]}
    )

    assert [s["app_session_id"] for s in page.result["app_sessions"]] == ids[:2]
    assert nobody.result == {"app_sessions": []}
    assert definition_answer.result["application"] == ""
    assert definition_answer.result["participants"] == [
        wallet.address,
        counterparty.address,
    ]


async def test_a_clearnode_root_key_has_no_application_or_allowance_limit(
    peer: Peer,
    node: LocalClearNode,
    wallet: signing.Signer,
    counterparty: signing.Signer,
) -> None:
    """A "clearnode" key is root: any application, no allowance needed."""
    root = signing.Signer.generate()
    await peer.login(wallet, root, application="clearnode", allowances=[])
    spec = definition(wallet, counterparty, application="any-app")
    answer = await peer.request(
        "create_app_session",
        {"definition": spec, "allocations": split(wallet, counterparty, "80", "0")},
        [root],
    )

    assert answer.method == "create_app_session", answer
    assert node.balance(wallet.address, "usdc") == 20
