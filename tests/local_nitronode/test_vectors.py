"""The 14 request frames of the v1 vectors are accepted, with answers of the node's shapes.

Ids and hashes equal the vectors'; the node's signatures cover the vectors' packings.
"""

from decimal import Decimal
import json
from typing import Any

from custom_components.nitrolite.clearnode.v1.signing import verify_node_signature
from local_nitronode import LocalNitronode
from tests.clearnode.v1.vectors import address, frames, two_party

from .peer import RESPONSE, Peer

VECTORS = two_party()
CHANNEL = VECTORS["channel"]
SESSION_ID = VECTORS["create"]["app_session_id"]


async def replay(peer: Peer) -> dict[str, Any]:
    """Send every vector frame in order; return each success payload by name."""
    answers = {}
    for name, text in frames().items():
        answer = await peer.raw(text)
        _type, request_id, method, _payload, _ts = json.loads(text)
        assert (answer.kind, answer.request_id, answer.method) == (
            RESPONSE,
            request_id,
            method,
        ), (name, answer)
        answers[name] = answer
    return answers


async def test_every_vector_frame_is_accepted(node: LocalNitronode, peer: Peer) -> None:
    """Funded like the vectors' user (10 yusd received off-chain), all 14 frames succeed.

    That covers the acknowledgement on the vectors' Sepolia token, an app-session key,
    the two-party create, the deposit with its commit, an operate signed by the session
    key (0xA2) and the counterparty, the close, and the three reads.
    """
    node.fund(address("user"), "yusd", Decimal(10))
    answers = await replay(peer)

    assert answers["ping"].payload == {}
    config = answers["get_config"].payload
    assert config["node_address"] == CHANNEL["node_address"]
    assert config["supported_sig_validators"] == "AAE="
    (asset,) = answers["get_assets"].payload["assets"]
    assert (asset["symbol"], asset["decimals"]) == ("yusd", 6)
    assert asset["tokens"] == [
        {
            "name": "Yellow USD",
            "symbol": "yusd",
            "address": CHANNEL["token_address"],
            "blockchain_id": "11155111",
            "decimals": 6,
        }
    ]
    assert answers["get_balances"].payload == {
        "balances": [{"asset": "yusd", "amount": "10", "enforced": "0"}]
    }
    received = answers["get_latest_state"].payload["state"]
    assert (received["version"], received["transition"]["type"]) == ("1", 31)
    assert "home_channel_id" not in received
    verify_node_signature(
        bytes.fromhex(CHANNEL["ack_packed"][2:]),
        answers["request_creation_ack"].payload["signature"],
        CHANNEL["node_address"],
    )
    assert answers["create_app_session"].payload == {
        "app_session_id": SESSION_ID,
        "status": "open",
        "version": "1",
    }
    verify_node_signature(
        bytes.fromhex(CHANNEL["commit_packed"][2:]),
        answers["submit_deposit_state"].payload["signature"],
        CHANNEL["node_address"],
    )
    assert answers["submit_app_state_operate"].payload == {}
    assert answers["submit_app_state_close"].payload == {}


async def test_vector_reads_after_the_close(node: LocalNitronode, peer: Peer) -> None:
    """The closed session lists zero allocations; the payout sits in the balances."""
    node.fund(address("user"), "yusd", Decimal(10))
    answers = await replay(peer)

    (session,) = answers["get_app_sessions"].payload["app_sessions"]
    assert session == {
        "app_session_id": SESSION_ID,
        "status": "closed",
        "app_definition": VECTORS["create"]["definition"],
        "session_data": '{"kwh":"1.5"}',
        "version": "4",
        "allocations": [
            {"participant": address("peer"), "asset": "yusd", "amount": "0"},
            {"participant": address("user"), "asset": "yusd", "amount": "0"},
        ],
    }
    assert answers["get_app_definition"].payload == {
        "definition": VECTORS["create"]["definition"]
    }
    (key_state,) = answers["get_last_key_states"].payload["states"]
    submitted = json.loads(frames()["submit_session_key_state"])[3]["state"]
    assert key_state == submitted
    assert node.balance(address("user"), "yusd") == Decimal("9.25")
    assert node.balance(address("peer"), "yusd") == Decimal("0.75")


async def test_results_are_marshalled_like_go(node: LocalNitronode, peer: Peer) -> None:
    """Top-level result keys are sorted (a Go map); <, > and & are escaped in strings."""
    node.fund(address("user"), "yusd", Decimal(10))
    config = await peer.request("node.v1.get_config")
    assert list(json.loads(config.text)[3]) == [
        "blockchains",
        "node_address",
        "node_version",
        "supported_sig_validators",
    ]
    await replay(peer)
    listing = await peer.request(
        "app_sessions.v1.get_last_key_states", {"user_address": address("user")}
    )
    assert list(json.loads(listing.text)[3]) == ["metadata", "states"]
    echoed = await peer.request("a<b>&c")
    assert echoed.error == "unknown method: a<b>&c"
    assert '"a\\u003cb\\u003e\\u0026c"' in echoed.text
