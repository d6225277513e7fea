"""The sandbox faucet: 10 yusd by off-chain transfer, once per wallet per 24 hours."""

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from custom_components.nitrolite.clearnode.signing import Signer
from local_nitronode import FAUCET_ADDRESS, FaucetSettings, LocalNitronode

from .conftest import Clock
from .peer import Peer

DAY = 24 * 3600


async def request_tokens(
    http: aiohttp.ClientSession, node: LocalNitronode, body: object
) -> tuple[int, dict[str, object]]:
    """POST to the faucet; return the status and the JSON answer."""
    async with http.post(node.faucet_url, json=body) as response:
        return response.status, await response.json()


async def test_a_wallet_gets_ten_yusd_by_transfer(
    node: LocalNitronode, http: aiohttp.ClientSession, peer: Peer, wallet: Signer
) -> None:
    """The answer has the faucet's shape; the wallet holds 10 yusd, received off-chain."""
    status, answer = await request_tokens(
        http, node, {"userAddress": wallet.address.lower()}
    )
    assert status == 200
    tx_id = answer.pop("txId")
    assert isinstance(tx_id, str)
    assert len(tx_id) == 66
    assert answer == {
        "success": True,
        "message": "Tokens sent successfully",
        "amount": "10",
        "asset": "yusd",
        "destination": wallet.address,
    }
    balances = await peer.call("user.v1.get_balances", {"wallet": wallet.address})
    assert balances["balances"] == [{"asset": "yusd", "amount": "10", "enforced": "0"}]
    listing = await peer.call("user.v1.get_transactions", {"wallet": wallet.address})
    (transfer,) = listing["transactions"]
    assert (transfer["id"], transfer["tx_type"], transfer["from_account"]) == (
        tx_id,
        30,
        FAUCET_ADDRESS,
    )


async def test_once_per_wallet_per_day(
    node: LocalNitronode, http: aiohttp.ClientSession, clock: Clock, wallet: Signer
) -> None:
    """A second request within 24 hours is refused (429); a day later it works again."""
    body = {"userAddress": wallet.address}
    assert (await request_tokens(http, node, body))[0] == 200
    clock.now += DAY - 1
    assert await request_tokens(http, node, body) == (
        429,
        {"error": "Rate limit exceeded. Please try again later."},
    )
    clock.now += 1
    assert (await request_tokens(http, node, body))[0] == 200
    assert node.balance(wallet.address, "yusd") == 20


async def test_each_wallet_has_its_own_slot(
    node: LocalNitronode, http: aiohttp.ClientSession, wallet: Signer
) -> None:
    """The cooldown is per wallet, whatever the case or prefix it is sent with."""
    assert (await request_tokens(http, node, {"userAddress": wallet.address}))[0] == 200
    bare = wallet.address.lower().removeprefix("0x")
    assert (await request_tokens(http, node, {"userAddress": f" {bare} "}))[0] == 429
    other = {"userAddress": "0x" + "12" * 20}
    assert (await request_tokens(http, node, other))[0] == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "Invalid request format. Expected JSON with 'userAddress' field."),
        (
            {"userAddress": ""},
            "Invalid request format. Expected JSON with 'userAddress' field.",
        ),
        (
            {"userAddress": 5},
            "Invalid request format. Expected JSON with 'userAddress' field.",
        ),
        ([], "Invalid request format. Expected JSON with 'userAddress' field."),
        ({"userAddress": "0x123"}, "Invalid address format."),
        ({"userAddress": "0x" + "zz" * 20}, "Invalid address format."),
    ],
)
async def test_bad_requests_are_refused(
    node: LocalNitronode, http: aiohttp.ClientSession, body: object, error: str
) -> None:
    """A missing or malformed address gets 400 with the faucet's text, and no funds."""
    assert await request_tokens(http, node, body) == (400, {"error": error})


@pytest.fixture
async def generous_faucet(clock: Clock) -> AsyncIterator[LocalNitronode]:
    """Run a node whose faucet gives 3 of the default asset every minute."""
    async with LocalNitronode(
        clock=clock, faucet=FaucetSettings(Decimal(3), cooldown=60)
    ) as node:
        yield node


async def test_amount_and_cooldown_are_configurable(
    generous_faucet: LocalNitronode,
    http: aiohttp.ClientSession,
    clock: Clock,
    wallet: Signer,
) -> None:
    """FaucetSettings sets what each request gives and how often."""
    body = {"userAddress": wallet.address}
    status, answer = await request_tokens(http, generous_faucet, body)
    assert (status, answer["amount"]) == (200, "3")
    clock.now += 60
    assert (await request_tokens(http, generous_faucet, body))[0] == 200
    assert generous_faucet.balance(wallet.address, "yusd") == 6
