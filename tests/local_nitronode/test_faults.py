"""Fault switches for client tests: silence, drops, refusals, raw frames, bad signatures."""

from decimal import Decimal

import aiohttp
import pytest

from custom_components.nitrolite.clearnode.errors import ClearNodeProtocolError
from custom_components.nitrolite.clearnode.signing import Signer
from local_nitronode import LocalNitronode

from .conftest import Connect
from .peer import Peer
from .wallet import Wallet

CLOSED = {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR}


async def test_silent_methods_are_never_answered(
    node: LocalNitronode, peer: Peer
) -> None:
    """A silenced request gets no answer; the next one is answered."""
    node.faults.silent_methods.add("node.v1.ping")
    await peer.send_text(peer.frame("node.v1.ping", {}))
    config = await peer.request("node.v1.get_config")
    assert config.method == "node.v1.get_config"


async def test_close_on_methods_drops_the_socket(
    node: LocalNitronode, peer: Peer
) -> None:
    """The socket drops when such a request arrives, before anything is answered."""
    node.faults.close_on_methods.add("user.v1.get_balances")
    await peer.send_text(peer.frame("user.v1.get_balances", {"wallet": "0x"}))
    assert (await peer.ws.receive(timeout=10)).type in CLOSED


async def test_refused_requests_get_the_generic_failure(
    node: LocalNitronode, peer: Peer
) -> None:
    """``refuse_next`` fails that many requests with the node's generic text."""
    node.faults.refuse_next = 2
    texts = [await peer.error("node.v1.ping") for _ in range(2)]
    assert texts == ["an error occurred while processing the request"] * 2
    assert await peer.call("node.v1.ping") == {}


async def test_raw_frames_reach_every_socket(
    node: LocalNitronode, connect: Connect
) -> None:
    """send_raw delivers any text (garbage, unsolicited frames) to all sockets."""
    first, second = await connect(), await connect()
    await node.faults.send_raw('[3,0,"home_channel_created",{},0]')
    for peer in (first, second):
        assert (
            await peer.ws.receive_str(timeout=10) == '[3,0,"home_channel_created",{},0]'
        )


async def test_corrupt_node_signatures_do_not_verify(
    node: LocalNitronode, connect: Connect, wallet: Signer
) -> None:
    """With the switch on, the node co-signs channel states with another key."""
    node.fund(wallet.address, "yusd", Decimal(1))
    node.faults.corrupt_node_signatures = True
    me = Wallet(await connect(), wallet, node.node_address)
    with pytest.raises(ClearNodeProtocolError, match="does not verify"):
        await me.acknowledge("yusd")


async def test_received_counts_every_decodable_request(
    node: LocalNitronode, peer: Peer
) -> None:
    """Counters count requests by method, refused and unknown ones too."""
    await peer.call("node.v1.ping")
    await peer.error("user.v1.get_balances", {"wallet": "nope"})
    await peer.error("no.such.method")
    await peer.raw("garbage")
    assert dict(node.faults.received) == {
        "node.v1.ping": 1,
        "user.v1.get_balances": 1,
        "no.such.method": 1,
    }
