"""The operations send what the v1 SDK sends, byte for byte (tests/data/v1).

The local node shares the library's hashing and signing, so it cannot catch a
misreading both sides share; the SDK's vectors can. Here the node is played by the
vectors: its states, its key, its answers.
"""

from collections.abc import Mapping
from decimal import Decimal
import json
from typing import Any

from custom_components.nitrolite.clearnode.v1.hashing import pack_state
from custom_components.nitrolite.clearnode.v1.models import (
    PROTOCOL,
    Asset,
    NodeConfig,
    Token,
    app_definition_from_wire,
)
from custom_components.nitrolite.clearnode.v1.operations import NodeInfo, Operations
from custom_components.nitrolite.clearnode.v1.signing import channel_signature
from custom_components.nitrolite.clearnode.v1.state import ChannelState

from .states import received
from .vectors import frames, load, signer, two_party

CHANNEL = two_party()["channel"]
SINGLE = load("single")
YUSD = CHANNEL["asset"]


def vector_node() -> NodeInfo:
    """Return the vectors' node: its address, validators {0, 1} and yusd token."""
    token = Token(YUSD, YUSD, CHANNEL["token_address"], CHANNEL["blockchain_id"], 6)
    return NodeInfo(
        NodeConfig(CHANNEL["node_address"], "v1.4.1", (), (0, 1)),
        {YUSD: Asset(YUSD, YUSD, 6, CHANNEL["blockchain_id"], (token,))},
    )


class VectorNode:
    """Answers as the vectors' node: the wallet's received funds, co-signatures."""

    def __init__(self) -> None:
        """Record every payload sent, by method."""
        self.payloads: dict[str, Any] = {}

    async def __call__(self, method: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one request."""
        self.payloads[method] = json.loads(json.dumps(payload))
        match method:
            case "channels.v1.get_latest_state":
                return {"state": received(Decimal(10)).to_wire()}
            case "channels.v1.request_creation":
                state = ChannelState.from_wire(payload["state"])
                packed = pack_state(state, CHANNEL["token_decimals"])
                return {"signature": channel_signature(signer("node"), packed)}
            case "app_sessions.v1.create_app_session":
                return {
                    "app_session_id": SINGLE["app_session_id"],
                    "status": "open",
                    "version": "1",
                }
        return {}


def frame_payload(name: str) -> Any:
    """Return the payload of one of the SDK's request frames."""
    return json.loads(frames()[name])[3]


async def test_the_acknowledgement_is_the_sdks_request_creation() -> None:
    """Off-chain funds, no channel: the acknowledgement frame of PROTOCOL_V1 §9.6."""
    node = VectorNode()
    channel_nonce = int(CHANNEL["channel_definition"]["nonce"])
    ops = Operations(
        node, signer("user"), vector_node(), channel_nonce=lambda: channel_nonce
    )
    opened = await ops.ensure_home_channel(YUSD)
    assert node.payloads["channels.v1.request_creation"] == frame_payload(
        "request_creation_ack"
    )
    assert opened.node_sig is not None


async def test_an_empty_single_party_session_is_created_and_closed_as_the_sdk_does() -> (
    None
):
    """The no-funds smoke test of PROTOCOL_V1 §9.4: its create and close signatures."""
    node = VectorNode()
    ops = Operations(node, signer("user"), vector_node())
    definition = app_definition_from_wire(SINGLE["definition"])
    assert definition.protocol == PROTOCOL
    created = await ops.open_session(definition)
    assert node.payloads["app_sessions.v1.create_app_session"] == {
        "definition": SINGLE["definition"],
        "session_data": "",
        "quorum_sigs": [SINGLE["create_sig_A1"]],
    }
    await ops.close(created)
    assert node.payloads["app_sessions.v1.submit_app_state"] == {
        "app_state_update": {
            "app_session_id": SINGLE["app_session_id"],
            "intent": 3,
            "version": "2",
            "allocations": [],
            "session_data": "",
        },
        "quorum_sigs": [SINGLE["close_sig_A1"]],
    }
