"""create_app_session refuses each malformed request with the node's text, in its order."""

from collections.abc import Callable
import copy
import json
from typing import Any

import pytest

from custom_components.nitrolite.clearnode.v1.hashing import create_request_hash
from custom_components.nitrolite.clearnode.v1.models import app_definition_from_wire
from custom_components.nitrolite.clearnode.v1.signing import (
    QuorumSignerType,
    quorum_signature,
)
from tests.clearnode.v1.vectors import address, frames, signer, two_party

from .peer import Peer

CREATE = "app_sessions.v1.create_app_session"
BASE: dict[str, Any] = json.loads(frames()["create_app_session"])[3]
SESSION_ID = two_party()["create"]["app_session_id"]
USER, PEER = address("user"), address("peer")
LENGTH_ERROR = (
    "invalid hex address: incorrect length, expected 42 characters including 0x prefix"
)

type Change = Callable[[dict[str, Any]], object]


def changed(*changes: Change) -> dict[str, Any]:
    """Return a copy of the vector's create payload with ``changes`` applied."""
    payload = copy.deepcopy(BASE)
    for change in changes:
        change(payload)
    return payload


def definition(**fields: Any) -> Change:
    """Set fields of the definition."""
    return lambda payload: payload["definition"].update(fields)


def sigs(*signatures: str) -> Change:
    """Replace the quorum signatures."""
    return lambda payload: payload.update(quorum_sigs=list(signatures))


def participants(*wallets: str) -> Change:
    """Replace the participants (weight 1 each)."""
    return definition(
        participants=[{"wallet_address": w, "signature_weight": 1} for w in wallets]
    )


def signed_by(*roles: str, kind: QuorumSignerType = QuorumSignerType.WALLET) -> Change:
    """Sign the (possibly changed) definition with the vectors' keys."""

    def sign(payload: dict[str, Any]) -> None:
        app_hash = create_request_hash(
            app_definition_from_wire(payload["definition"]), payload["session_data"]
        )
        payload["quorum_sigs"] = [
            quorum_signature(signer(role), app_hash, kind) for role in roles
        ]

    return sign


A1_TOO_SHORT = "0xa1" + "00" * 10


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            changed(participants(*[f"0x{i:040x}" for i in range(33)])),
            "participants array exceeds maximum length of 32",
        ),
        (
            changed(
                sigs("0x", "0x", "0x"),
                lambda p: p.update(session_data="x" * 1025),
            ),
            "quorum_sigs count (3) exceeds participants count (2)",
        ),
        (
            changed(
                lambda p: p.update(session_data="é" * 513),
                definition(application_id=""),
            ),
            "session_data exceeds maximum length of 1024",
        ),
        (changed(definition(application_id="")), "application id is required"),
        (
            changed(definition(application_id="HA", nonce="x")),
            "invalid application id: must match ^[a-z0-9_-]{1,66}$",
        ),
        (changed(definition(nonce="x", quorum=0)), "invalid app definition"),
        (changed(definition(nonce="-1")), "invalid app definition"),
        (
            changed(definition(nonce="18446744073709551616")),
            "invalid app definition",
        ),
        (changed(definition(nonce="0", quorum=0)), "nonce must be non-zero"),
        (changed(definition(quorum=0)), "quorum must be greater than zero"),
        (
            changed(participants(USER, "0x123")),
            f'invalid participant wallet_address "0x123": {LENGTH_ERROR}',
        ),
        (
            changed(participants(USER, "0x" + "g" * 40)),
            (
                "invalid participant wallet_address "
                f"\"0x{'g' * 40}\": invalid hex address: character 'g' at position 2 "
                "is not a valid hexadecimal character"
            ),
        ),
        (
            changed(participants(USER, USER.upper().replace("0X", "0x"))),
            f"duplicate participant address: {USER.upper().replace('0X', '0x')}",
        ),
        (
            changed(definition(quorum=3), sigs()),
            "target quorum (3) cannot be greater than total sum of weights (2)",
        ),
        (changed(sigs()), "no signatures provided"),
        (changed(sigs("0xzz")), "failed to decode signature: invalid hex string"),
        (
            changed(sigs("a1")),
            "failed to decode signature: hex string without 0x prefix",
        ),
        (changed(sigs("0xa")), "failed to decode signature: hex string of odd length"),
        (changed(sigs("0x")), "empty signature after decode at index 0"),
        (changed(sigs("")), "failed to decode signature: empty hex string"),
        (
            changed(sigs("0xb1" + "00" * 65)),
            "failed to recover user wallet: invalid signature: unknown signer type 177",
        ),
        (
            changed(sigs(A1_TOO_SHORT)),
            (
                "failed to recover user wallet: failed to recover wallet address: "
                "invalid signature length"
            ),
        ),
        (
            changed(signed_by("session_key", kind=QuorumSignerType.SESSION_KEY)),
            (
                "failed to recover user wallet: no active session key found for key "
                f"{address('session_key')} and app session {SESSION_ID}"
            ),
        ),
        (
            changed(signed_by("session_key")),
            f"signature from non-participant: {address('session_key')}",
        ),
        (changed(signed_by("user")), "quorum not met: achieved 1, required 2"),
        (changed(signed_by("user", "user")), "quorum not met: achieved 1, required 2"),
        (changed(definition(quorum="2")), "failed to parse parameters"),
        (
            changed(
                definition(
                    participants=[{"wallet_address": USER, "signature_weight": 256}]
                )
            ),
            "failed to parse parameters",
        ),
        (changed(definition(nonce=1764201600000)), "failed to parse parameters"),
    ],
)
async def test_create_app_session_refusals(
    peer: Peer, payload: dict[str, Any], error: str
) -> None:
    """Each malformed create fails with the node's text.

    Of two faults in one request, the one checked first is reported.
    """
    assert await peer.error(CREATE, payload) == error


async def test_creating_the_same_definition_twice_fails_in_the_database(
    peer: Peer,
) -> None:
    """The id is deterministic: a second create of one definition hits the primary key."""
    assert (await peer.call(CREATE, BASE))["app_session_id"] == SESSION_ID
    error = await peer.error(CREATE, BASE)
    assert error.startswith("failed to create app session: ")


async def test_quorum_takes_an_integral_float_and_an_owner_sig_is_ignored(
    peer: Peer,
) -> None:
    """``quorum: 2.0`` fits the uint8 after the float64 trip; ``owner_sig`` is ignored."""
    payload = changed(definition(quorum=2.0), lambda p: p.update(owner_sig="0xdead"))
    assert (await peer.call(CREATE, payload))["version"] == "1"


async def test_weights_sum_into_a_uint8_as_the_node_does(peer: Peer) -> None:
    """Quorum weights add up in a uint8: 200 + 100 signers achieve 44, not 300."""
    payload = changed(
        definition(
            participants=[
                {"wallet_address": USER, "signature_weight": 200},
                {"wallet_address": PEER, "signature_weight": 100},
            ],
            quorum=250,
        ),
        signed_by("user", "peer"),
    )
    assert (
        await peer.error(CREATE, payload) == "quorum not met: achieved 44, required 250"
    )
