"""App-session keys: they sign quorum (0xA2) for their wallet while active and in scope.

Registering takes the wallet's and the key's signatures; revoking, the wallet's alone.
"""

from dataclasses import replace

import pytest

from custom_components.nitrolite.clearnode.signing import Signer
from custom_components.nitrolite.clearnode.v1.hashing import create_request_hash
from custom_components.nitrolite.clearnode.v1.signing import (
    QuorumSignerType,
    quorum_signature,
)
from local_nitronode import LocalNitronode

from .conftest import Clock
from .peer import Peer
from .wallet import definition, definition_wire, key_state

SUBMIT_KEY = "app_sessions.v1.submit_session_key_state"
CREATE = "app_sessions.v1.create_app_session"
PREFIX = "invalid_session_key_state: "


@pytest.fixture
def key() -> Signer:
    """Return a fresh session key."""
    return Signer.generate()


async def create_signed_by_key(
    peer: Peer, wallet: Signer, counterparty: Signer, key: Signer, nonce: int
) -> str | None:
    """Create a session [wallet 1, counterparty 0] signed by the key alone (0xA2).

    Return the node's error text, or None when it was created.
    """
    app_definition = definition([(wallet, 1), (counterparty, 0)], 1, nonce)
    signature = quorum_signature(
        key, create_request_hash(app_definition, ""), QuorumSignerType.SESSION_KEY
    )
    answer = await peer.request(
        CREATE,
        {
            "definition": definition_wire(app_definition),
            "session_data": "",
            "quorum_sigs": [signature],
        },
    )
    return answer.error


async def test_a_registered_key_signs_for_its_wallet_until_it_expires(
    peer: Peer, clock: Clock, wallet: Signer, counterparty: Signer, key: Signer
) -> None:
    """Scoped to the application, the key's 0xA2 signature counts as the wallet's."""
    expires = int(clock.now) + 3600
    state = key_state(wallet, key, version=1, expires_at=expires)
    assert await peer.call(SUBMIT_KEY, {"state": state.to_wire()}) == {}
    assert await create_signed_by_key(peer, wallet, counterparty, key, 1) is None
    clock.now = expires
    error = await create_signed_by_key(peer, wallet, counterparty, key, 2)
    assert error is not None
    assert error.startswith(
        "failed to recover user wallet: no active session key found"
    )


async def test_a_revocation_needs_only_the_wallet(
    peer: Peer, clock: Clock, wallet: Signer, counterparty: Signer, key: Signer
) -> None:
    """Version 2 with a past expiry and no key signature turns the key off."""
    registered = key_state(wallet, key, version=1, expires_at=int(clock.now) + 3600)
    await peer.call(SUBMIT_KEY, {"state": registered.to_wire()})
    revoked = replace(
        key_state(wallet, key, version=2, expires_at=int(clock.now) - 1),
        session_key_sig="",
    )
    assert await peer.call(SUBMIT_KEY, {"state": revoked.to_wire()}) == {}
    assert await create_signed_by_key(peer, wallet, counterparty, key, 3) is not None
    listing = await peer.call(
        "app_sessions.v1.get_last_key_states",
        {"user_address": wallet.address, "include_inactive": True},
    )
    assert [s["version"] for s in listing["states"]] == ["2"]
    active = await peer.call(
        "app_sessions.v1.get_last_key_states", {"user_address": wallet.address}
    )
    assert active["states"] == []


async def test_key_state_refusals(
    node: LocalNitronode, peer: Peer, clock: Clock, wallet: Signer, key: Signer
) -> None:
    """Each bad key state fails with the node's text (prefixed invalid_session_key_state)."""
    future = int(clock.now) + 3600
    good = key_state(wallet, key, version=1, expires_at=future)
    wire = good.to_wire()
    cases = [
        (
            wire | {"version": "x"},
            'invalid version: strconv.ParseUint: parsing "x": invalid syntax',
        ),
        (
            wire | {"user_address": "0x1"},
            (
                "invalid user_address: invalid hex address: incorrect length, "
                "expected 42 characters including 0x prefix"
            ),
        ),
        (
            wire | {"session_key": wire["user_address"]},
            "session_key must differ from user_address",
        ),
        (wire | {"version": "0"}, "version must be greater than 0"),
        (wire | {"expires_at": "-5"}, "expires_at must be non-negative"),
        (
            wire | {"expires_at": "soon"},
            'invalid expires_at: strconv.ParseInt: parsing "soon": invalid syntax',
        ),
        (
            wire | {"expires_at": "9" * 20},
            f'invalid expires_at: strconv.ParseInt: parsing "{"9" * 20}": value out of range',
        ),
        (
            wire | {"application_ids": ["HA"]},
            (
                "application_ids must contain only lowercase letters, digits, dashes, "
                "and underscores (max 66 chars), got: HA"
            ),
        ),
        (
            wire | {"app_session_ids": ["0x" + "AB" * 32]},
            f"app_session_ids must be lowercase, got: 0x{'AB' * 32}",
        ),
        (
            wire | {"app_session_ids": ["0x" + "ab" * 32] * 11},
            "app_session_ids array exceeds maximum length of 10",
        ),
        (
            wire | {"application_ids": ["home-assistant"] * 11},
            "application_ids array exceeds maximum length of 10",
        ),
        (wire | {"user_sig": ""}, "user_sig is required"),
        (
            wire | {"user_sig": "0xz"},
            "failed to decode user_sig: hex string of odd length",
        ),
        (wire | {"session_key_sig": ""}, "session_key_sig is required"),
        (
            wire | {"user_sig": wire["session_key_sig"]},
            "user_sig does not match user_address",
        ),
        (
            wire | {"session_key_sig": "0x12"},
            "failed to recover session_key_sig: invalid signature length",
        ),
        (wire | {"version": "2"}, "user_sig does not match user_address"),
        (
            replace(
                key_state(wallet, key, version=2, expires_at=future), session_key_sig=""
            ).to_wire(),
            "session_key_sig is required",
        ),
        (
            key_state(wallet, key, version=2, expires_at=future).to_wire(),
            "expected version 1, got 2",
        ),
        (
            key_state(wallet, key, version=1, expires_at=1).to_wire(),
            "cannot revoke a session key with no prior delegation",
        ),
    ]
    for state, error in cases:
        assert await peer.error(SUBMIT_KEY, {"state": state}) == PREFIX + error
    assert await peer.call(SUBMIT_KEY, {"state": wire}) == {}
    other = Signer.generate()
    stolen = key_state(other, key, version=1, expires_at=future)
    assert await peer.error(SUBMIT_KEY, {"state": stolen.to_wire()}) == (
        PREFIX + "session_key not allowed"
    )
    assert node.faults.received[SUBMIT_KEY] == len(cases) + 2


async def test_listing_key_states_needs_a_wallet(peer: Peer) -> None:
    """get_last_key_states without ``user_address`` is refused."""
    assert (
        await peer.error("app_sessions.v1.get_last_key_states") == "wallet is required"
    )


async def test_a_wallet_may_have_at_most_100_active_keys(
    peer: Peer, clock: Clock, wallet: Signer
) -> None:
    """The 101st active key is refused; rotating an active one is not."""
    future = int(clock.now) + 3600
    keys = [Signer.generate() for _ in range(101)]
    for key in keys[:100]:
        state = key_state(wallet, key, version=1, expires_at=future)
        await peer.call(SUBMIT_KEY, {"state": state.to_wire()})
    extra = key_state(wallet, keys[100], version=1, expires_at=future)
    assert await peer.error(SUBMIT_KEY, {"state": extra.to_wire()}) == (
        PREFIX + "user has reached the session key limit of 100"
    )
    rotated = key_state(wallet, keys[0], version=2, expires_at=future + 1)
    assert await peer.call(SUBMIT_KEY, {"state": rotated.to_wire()}) == {}
