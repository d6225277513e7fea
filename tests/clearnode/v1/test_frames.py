"""Signed request frames built from typed models and our own signatures equal the vectors.

Each frame is assembled the way a client assembles it: the payload from ``to_wire``
of the models, every signature computed here, then :func:`encode_request`.
"""

from dataclasses import replace
import json
from typing import Any

from custom_components.nitrolite.clearnode.v1 import hashing
from custom_components.nitrolite.clearnode.v1.codec import encode_request
from custom_components.nitrolite.clearnode.v1.models import (
    AppStateUpdate,
    app_definition_from_wire,
    app_definition_to_wire,
)
from custom_components.nitrolite.clearnode.v1.session_keys import AppSessionKeyState
from custom_components.nitrolite.clearnode.v1.signing import (
    QuorumSignerType,
    personal_sign,
    quorum_signature,
)
from custom_components.nitrolite.clearnode.v1.state import ChannelDefinition

from .states import CHANNEL, acknowledged, committed
from .vectors import frames, signer, two_party

FRAMES = frames()
VECTORS = two_party()
USER, PEER, SESSION_KEY = (signer(role) for role in ("user", "peer", "session_key"))
TIMESTAMP = 1764201600000


def frame(request_id: int, method: str, payload: dict[str, Any]) -> str:
    """Return the request frame of the vectors' timestamp."""
    return encode_request(request_id, method, payload, TIMESTAMP)


def update(name: str) -> AppStateUpdate:
    """Return a vector app state update as a model."""
    return AppStateUpdate.from_wire(VECTORS["updates"][name]["app_state_update"])


def test_create_app_session_frame() -> None:
    """Definition, session data and both wallets' 0xA1 signatures of the create hash."""
    create = VECTORS["create"]
    definition = app_definition_from_wire(create["definition"])
    digest = hashing.create_request_hash(definition, create["session_data"])
    payload = {
        "definition": app_definition_to_wire(definition),
        "session_data": create["session_data"],
        "quorum_sigs": [quorum_signature(USER, digest), quorum_signature(PEER, digest)],
    }
    assert (
        frame(8, "app_sessions.v1.create_app_session", payload)
        == (FRAMES["create_app_session"])
    )


def test_request_creation_frame_opens_the_channel_with_the_acknowledgement() -> None:
    """The signed acknowledgement and the channel definition it was derived from."""
    payload = {
        "state": acknowledged().to_wire(),
        "channel_definition": ChannelDefinition.from_wire(
            CHANNEL["channel_definition"]
        ).to_wire(),
    }
    assert (
        frame(6, "channels.v1.request_creation", payload)
        == (FRAMES["request_creation_ack"])
    )


def test_submit_deposit_state_frame_carries_the_signed_commit() -> None:
    """The deposit update with quorum signatures, and the commit state signed 0x00."""
    deposit = update("deposit_v2")
    digest = hashing.app_state_update_hash(deposit)
    payload = {
        "app_state_update": deposit.to_wire(),
        "quorum_sigs": [quorum_signature(USER, digest), quorum_signature(PEER, digest)],
        "user_state": committed().to_wire(),
    }
    assert (
        frame(9, "app_sessions.v1.submit_deposit_state", payload)
        == (FRAMES["submit_deposit_state"])
    )


def test_operate_frame_mixes_a_session_key_and_a_wallet_signature() -> None:
    """The user's app-session key signs 0xA2 beside the peer's 0xA1."""
    operate = update("operate_v3")
    digest = hashing.app_state_update_hash(operate)
    payload = {
        "app_state_update": operate.to_wire(),
        "quorum_sigs": [
            quorum_signature(SESSION_KEY, digest, QuorumSignerType.SESSION_KEY),
            quorum_signature(PEER, digest),
        ],
    }
    assert (
        frame(10, "app_sessions.v1.submit_app_state", payload)
        == (FRAMES["submit_app_state_operate"])
    )


def test_an_operate_sent_with_trailing_zeros_goes_out_canonical() -> None:
    """Amounts leave in canonical form: the "4.250" update yields the "4.25" frame."""
    padded = update("operate_trailing_zero")
    sent = json.loads(FRAMES["submit_app_state_operate"])[3]["app_state_update"]
    assert padded.to_wire() == sent


def test_close_frame() -> None:
    """Close is intent 3 with the current allocations, signed by both wallets."""
    close = update("close_v4")
    digest = hashing.app_state_update_hash(close)
    payload = {
        "app_state_update": close.to_wire(),
        "quorum_sigs": [quorum_signature(USER, digest), quorum_signature(PEER, digest)],
    }
    assert (
        frame(11, "app_sessions.v1.submit_app_state", payload)
        == (FRAMES["submit_app_state_close"])
    )


def test_session_key_registration_frame() -> None:
    """The key state with the wallet's and the key's bare signatures of its hash."""
    unsigned = AppSessionKeyState.from_wire(VECTORS["app_session_key_state"]["state"])
    digest = hashing.app_session_key_state_hash(unsigned)
    state = replace(
        unsigned,
        user_sig=personal_sign(USER, digest),
        session_key_sig=personal_sign(SESSION_KEY, digest),
    )
    assert (
        frame(7, "app_sessions.v1.submit_session_key_state", {"state": state.to_wire()})
        == (FRAMES["submit_session_key_state"])
    )
