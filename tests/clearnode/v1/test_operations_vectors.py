"""The operations send what the v1 SDK sends, byte for byte (tests/data/v1).

The local node shares the library's hashing and signing, so it cannot catch a
misreading both sides share; the SDK's vectors can. Here the node is played by the
vectors: its states, its key, its answers.
"""

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
import json
import threading
from typing import Any

import pytest

from custom_components.nitrolite.clearnode.errors import ClearNodeProtocolError
from custom_components.nitrolite.clearnode.signing import NativeBackend, Signer
from custom_components.nitrolite.clearnode.v1.hashing import pack_state
from custom_components.nitrolite.clearnode.v1.models import (
    PROTOCOL,
    Asset,
    NodeConfig,
    Token,
    app_definition_from_wire,
)
from custom_components.nitrolite.clearnode.v1.node import NodeInfo
from custom_components.nitrolite.clearnode.v1.operations import Operations
from custom_components.nitrolite.clearnode.v1.signing import channel_signature
from custom_components.nitrolite.clearnode.v1.state import ChannelState

from .states import acknowledged, received
from .vectors import address, frames, load, signer, two_party

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
    """Answers as the vectors' node: the wallet's received funds, co-signatures.

    ``latest`` is the wallet's newest state; the answers to ``request_creation`` and
    ``create_app_session`` can be replaced to play a misbehaving node.
    """

    def __init__(
        self,
        latest: ChannelState | None = None,
        creation_answer: dict[str, Any] | None = None,
        create_answer: dict[str, Any] | None = None,
    ) -> None:
        """Record every payload sent, by method."""
        self.payloads: dict[str, Any] = {}
        self._latest = received(Decimal(10)) if latest is None else latest
        self._creation_answer = creation_answer
        self._create_answer = create_answer or {
            "app_session_id": SINGLE["app_session_id"],
            "status": "open",
            "version": "1",
        }

    async def __call__(self, method: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Answer one request."""
        self.payloads[method] = json.loads(json.dumps(payload))
        match method:
            case "channels.v1.get_latest_state":
                return {"state": self._latest.to_wire()}
            case "channels.v1.request_creation" | "channels.v1.submit_state":
                if self._creation_answer is not None:
                    return self._creation_answer
                return self._co_sign(payload["state"])
            case "app_sessions.v1.create_app_session":
                return self._create_answer
        return {}

    @staticmethod
    def _co_sign(state: Mapping[str, Any]) -> dict[str, Any]:
        packed = pack_state(ChannelState.from_wire(state), CHANNEL["token_decimals"])
        return {"signature": channel_signature(signer("node"), packed)}


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


class ThreadNotingBackend(NativeBackend):
    """The pure-Python backend, noting which threads sign."""

    def __init__(self) -> None:
        """Start with no signature made."""
        self.threads: set[threading.Thread] = set()

    def nonce_point_x_parity(self, nonce: int) -> tuple[int, int]:
        """Note the thread, then sign as usual."""
        self.threads.add(threading.current_thread())
        return super().nonce_point_x_parity(nonce)


async def test_without_the_fast_backend_signing_runs_off_the_event_loop() -> None:
    """Several milliseconds per signature would hold the loop: an executor signs.

    The request is byte for byte the same.
    """
    backend = ThreadNotingBackend()
    slow_user = Signer.from_key(two_party()["keys"]["user"], backend)
    node = VectorNode()
    channel_nonce = int(CHANNEL["channel_definition"]["nonce"])
    ops = Operations(
        node, slow_user, vector_node(), channel_nonce=lambda: channel_nonce
    )
    await ops.ensure_home_channel(YUSD)
    assert node.payloads["channels.v1.request_creation"] == frame_payload(
        "request_creation_ack"
    )
    assert backend.threads
    assert threading.main_thread() not in backend.threads


async def test_an_asset_without_a_token_on_its_suggested_chain_opens_no_channel() -> (
    None
):
    """The node's own asset list is inconsistent: nothing is signed or sent."""
    info = vector_node()
    tokenless = NodeInfo(info.config, {YUSD: replace(info.assets[YUSD], tokens=())})
    node = VectorNode()
    with pytest.raises(ClearNodeProtocolError, match="no token on its suggested"):
        await Operations(node, signer("user"), tokenless).ensure_home_channel(YUSD)
    assert list(node.payloads) == ["channels.v1.get_latest_state"]


async def test_a_channel_of_a_token_the_node_does_not_list_is_not_built_on() -> None:
    """Token decimals pack a state: an unknown token cannot be packed, so no transfer."""
    info = vector_node()
    (token,) = info.assets[YUSD].tokens
    other = replace(token, address="0x" + "11" * 20)
    moved = NodeInfo(info.config, {YUSD: replace(info.assets[YUSD], tokens=(other,))})
    node = VectorNode(latest=acknowledged())
    with pytest.raises(ClearNodeProtocolError, match="does not list"):
        await Operations(node, signer("user"), moved).transfer(
            address("peer"), YUSD, "1"
        )
    assert list(node.payloads) == ["channels.v1.get_latest_state"]


@pytest.mark.parametrize(
    "answer", [{}, {"signature": 42}, {"signature": "0x" + "ab" * 100}]
)
async def test_a_channel_answer_without_a_co_signature_is_a_protocol_error(
    answer: dict[str, Any],
) -> None:
    """The node must co-sign what it accepts; anything else is not trusted."""
    node = VectorNode(creation_answer=answer)
    ops = Operations(node, signer("user"), vector_node())
    with pytest.raises(ClearNodeProtocolError, match="did not co-sign"):
        await ops.ensure_home_channel(YUSD)


async def test_a_create_answered_for_another_session_is_a_protocol_error() -> None:
    """The node must name the session whose id we computed, at version 1."""
    node = VectorNode(create_answer={"app_session_id": "0x" + "00" * 32})
    ops = Operations(node, signer("user"), vector_node())
    with pytest.raises(ClearNodeProtocolError, match="another session"):
        await ops.open_session(app_definition_from_wire(SINGLE["definition"]))
