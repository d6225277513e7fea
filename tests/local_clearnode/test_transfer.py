"""transfer: balances, pushes to both parties, duplicate protection."""

from custom_components.nitrolite.clearnode import signing
from local_clearnode import LocalClearNode

from .conftest import Connect
from .peer import Peer


def to(address: str, amount: str) -> dict[str, object]:
    """Return transfer params for one usdc amount."""
    return {
        "destination": address,
        "allocations": [{"asset": "usdc", "amount": amount}],
    }


async def test_transfer_moves_funds_and_notifies_both_parties(
    node: LocalClearNode,
    connect: Connect,
    logged_in: Peer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Transfer moves funds and notifies both parties."""
    receiver = await connect()
    await receiver.login(counterparty, signing.Signer.generate())
    await receiver.next_push(), await receiver.next_push()  # channels, bu
    answer = await logged_in.request(
        "transfer", to(counterparty.address, "2.5"), [session_key]
    )
    received = [await receiver.next_push(), await receiver.next_push()]

    [transaction] = answer.result["transactions"]
    assert (
        transaction["tx_type"],
        transaction["amount"],
        transaction["to_account"],
    ) == (
        "transfer",
        "2.5",
        counterparty.address,
    )
    assert node.balance(counterparty.address, "usdc") == 22.5
    assert [p.method for p in received] == ["bu", "tr"]
    assert received[1].result == answer.result


async def test_the_same_request_bytes_are_processed_once(
    logged_in: Peer, counterparty: signing.Signer, session_key: signing.Signer
) -> None:
    """The same request bytes are processed once."""
    _, frame = logged_in.frame("transfer", to(counterparty.address, "1"), [session_key])
    await logged_in.send_text(frame)
    first = await logged_in.next_answer()
    await logged_in.send_text(frame)
    second = await logged_in.next_answer()

    assert first.method == "transfer"
    assert second.error == "operation denied: the request has already been processed"


async def test_transfers_to_oneself_are_refused(
    logged_in: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """Transfers to oneself are refused."""
    answer = await logged_in.request("transfer", to(wallet.address, "1"), [session_key])

    assert answer.error == "cannot transfer to self"


async def test_a_session_key_transfer_counts_against_its_allowance(
    logged_in: Peer, counterparty: signing.Signer, session_key: signing.Signer
) -> None:
    """A session key transfer counts against its allowance."""
    answer = await logged_in.request(
        "transfer", to(counterparty.address, "60"), [session_key]
    )

    assert answer.error == (
        "session key spending validation failed: "
        "operation denied: insufficient session key allowance: 60 required, 50 available"
    )


async def test_the_wallet_key_itself_is_not_capped(
    node: LocalClearNode,
    logged_in: Peer,
    wallet: signing.Signer,
    counterparty: signing.Signer,
) -> None:
    """The wallet key itself is not capped."""
    answer = await logged_in.request(
        "transfer", to(counterparty.address, "60"), [wallet]
    )

    assert answer.method == "transfer"
    assert node.balance(wallet.address, "usdc") == 40


async def test_a_foreign_signature_is_invalid(
    logged_in: Peer, counterparty: signing.Signer
) -> None:
    """A foreign signature is invalid."""
    answer = await logged_in.request(
        "transfer", to(counterparty.address, "1"), [counterparty]
    )

    assert answer.error == "invalid signature"
