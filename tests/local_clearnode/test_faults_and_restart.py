"""Test hooks: faults, funding, stop/start/restart."""

from decimal import Decimal
import json

import aiohttp
import pytest

from custom_components.nitrolite.clearnode import signing
from local_clearnode import LocalClearNode

from .conftest import Connect
from .peer import Peer


async def test_silent_methods_are_never_answered(
    node: LocalClearNode, peer: Peer
) -> None:
    """Silent methods are never answered."""
    node.faults.silent_methods.add("ping")
    await peer.send_text(peer.frame("ping", {})[1])
    config = await peer.request("get_config", {})

    assert config.method == "get_config"


async def test_close_on_methods_drops_the_socket(
    node: LocalClearNode, peer: Peer
) -> None:
    """Close on methods drops the socket."""
    node.faults.close_on_methods.add("ping")
    await peer.send_text(peer.frame("ping", {})[1])
    message = await peer.ws.receive(timeout=10)

    assert message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}


async def test_corrupt_signatures_are_not_the_brokers(
    node: LocalClearNode, peer: Peer
) -> None:
    """Corrupt signatures are not the brokers."""
    node.faults.corrupt_signatures = True
    answer = await peer.request("ping", {})

    assert answer.method == "pong"
    assert not answer.broker_signed


async def test_send_raw_reaches_every_socket(
    node: LocalClearNode, connect: Connect
) -> None:
    """Send raw reaches every socket."""
    first, second = await connect(), await connect()
    await node.faults.send_raw("not json")

    assert await first.ws.receive_str(timeout=10) == "not json"
    assert await second.ws.receive_str(timeout=10) == "not json"


async def test_delay_holds_answers_back_in_order(
    node: LocalClearNode, peer: Peer
) -> None:
    """Delay holds answers back in order."""
    node.faults.delay = 0.05
    first_id, first = peer.frame("ping", {})
    second_id, second = peer.frame("get_config", {})
    await peer.send_text(first)
    await peer.send_text(second)

    assert (await peer.next_answer()).request_id == first_id
    assert (await peer.next_answer()).request_id == second_id


async def test_fund_pushes_the_new_balance_to_logged_in_sockets(
    node: LocalClearNode, logged_in: Peer, wallet: signing.Signer
) -> None:
    """Fund pushes the new balance to logged in sockets."""
    node.fund(wallet.address, "usdc", Decimal(5))
    push = await logged_in.next_push()

    assert push.result == {
        "balance_updates": [
            {"asset": "usdc", "amount": "105"},
            {"asset": "ytest.usd", "amount": "10"},
        ]
    }
    assert node.balance(wallet.address.lower(), "usdc") == 105


async def test_restart_drops_sockets_and_listens_on_the_same_port(
    node: LocalClearNode, peer: Peer
) -> None:
    """Restart drops sockets and listens on the same port."""
    url = node.url
    await node.restart()
    dropped = await peer.ws.receive(timeout=10)

    assert dropped.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
    assert node.url == url
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        assert json.loads(await ws.receive_str(timeout=10))["res"][1] == "assets"


async def test_stop_refuses_connections_until_start(node: LocalClearNode) -> None:
    """Stop refuses connections until start."""
    await node.stop()
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.ws_connect(node.url)
        await node.start()
        async with http.ws_connect(node.url) as ws:
            assert json.loads(await ws.receive_str(timeout=10))["res"][1] == "assets"
