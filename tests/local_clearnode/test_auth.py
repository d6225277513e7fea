"""Login as the real server does it: EIP-712 challenge, JWT, session-key rules, the gate."""

import time

import pytest

from custom_components.nitrolite.clearnode import signing
from custom_components.nitrolite.clearnode.v05 import keccak256
from local_clearnode import LocalClearNode, auth

from .conftest import Connect
from .peer import Peer, now_ms, policy_digest


async def test_login_answers_sorted_keys_then_pushes_channels_and_balances(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """Login answers sorted keys then pushes channels and balances."""
    answer = await peer.login(wallet, session_key)
    channels, balances = await peer.next_push(), await peer.next_push()

    assert list(answer.result) == ["address", "jwt_token", "session_key", "success"]
    assert answer.result["address"] == wallet.address
    assert answer.result["session_key"] == session_key.address
    assert answer.result["success"] is True
    assert channels.result == {"channels": []}
    assert balances.result["balance_updates"] == [
        {"asset": "usdc", "amount": "100"},
        {"asset": "ytest.usd", "amount": "10"},
    ]


async def test_a_lowercase_wallet_address_makes_verification_fail(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """A lowercase wallet address makes verification fail."""
    challenge, policy = await peer.auth_request(
        wallet.address.lower(), session_key.address
    )
    token = challenge.result["challenge_message"]
    answer = await peer.auth_verify(
        token, wallet.sign_digest(policy_digest(token, policy))
    )

    assert answer.error == "invalid challenge or signature"


async def test_an_empty_application_cannot_log_in(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """The challenge is handed out, but no signature verifies an empty domain name."""
    challenge, policy = await peer.auth_request(
        wallet.address, session_key.address, application=""
    )
    token = challenge.result["challenge_message"]
    answer = await peer.auth_verify(
        token, wallet.sign_digest(policy_digest(token, policy))
    )

    assert answer.error == "invalid signature"


async def test_an_eip191_signature_of_the_policy_is_refused(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """An EIP-191 signature of the policy is refused."""
    challenge, policy = await peer.auth_request(wallet.address, session_key.address)
    token = challenge.result["challenge_message"]
    digest = policy_digest(token, policy)
    personal_sign = wallet.sign_digest(
        keccak256(b"\x19Ethereum Signed Message:\n32" + digest)
    )
    answer = await peer.auth_verify(token, personal_sign)

    assert answer.error == "invalid challenge or signature"


async def test_a_challenge_works_once(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """A challenge works once."""
    challenge, policy = await peer.auth_request(wallet.address, session_key.address)
    token = challenge.result["challenge_message"]
    signature = wallet.sign_digest(policy_digest(token, policy))
    first = await peer.auth_verify(token, signature)
    second = await peer.auth_verify(token, signature)

    assert first.method == "auth_verify"
    assert second.error == "invalid challenge or signature"


async def test_an_unknown_challenge_is_invalid(
    peer: Peer, wallet: signing.Signer
) -> None:
    """An unknown challenge is invalid."""
    answer = await peer.auth_verify(
        "550e8400-e29b-41d4-a716-446655440000", "0x" + "11" * 65
    )

    assert answer.error == "invalid challenge"


async def test_allowances_must_name_server_assets(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """Allowances must name server assets."""
    answer = await peer.login(wallet, session_key, allowances=[("eth", "1")])

    assert answer.error == "unsupported token: asset 'eth' is not supported"


async def test_an_expiry_in_the_past_is_refused(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """An expiry in the past is refused."""
    answer = await peer.login(wallet, session_key, expires_at=int(time.time()) - 10)

    assert answer.error == "expiration time must be set and in the future"


async def test_jwt_logs_a_new_socket_in_without_a_signature(
    connect: Connect, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """Jwt logs a new socket in without a signature."""
    first = await connect()
    jwt = (await first.login(wallet, session_key)).result["jwt_token"]
    second = await connect()
    answer = await second.request("auth_verify", {"jwt": jwt})
    balances = await second.request("get_ledger_balances", {}, [session_key])

    assert answer.result == {
        "address": wallet.address,
        "session_key": session_key.address,
        "success": True,
    }
    assert balances.method == "get_ledger_balances"


async def test_a_forged_jwt_is_refused(peer: Peer) -> None:
    """A forged JWT is refused."""
    answer = await peer.request("auth_verify", {"jwt": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"})

    assert answer.error == "invalid JWT token"


async def test_reject_jwt_fault_refuses_valid_tokens(
    node: LocalClearNode,
    connect: Connect,
    wallet: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """Reject JWT fault refuses valid tokens."""
    first = await connect()
    jwt = (await first.login(wallet, session_key)).result["jwt_token"]
    node.faults.reject_jwt = True
    answer = await (await connect()).request("auth_verify", {"jwt": jwt})

    assert answer.error == "invalid JWT token"


async def test_private_methods_need_a_login(
    peer: Peer, session_key: signing.Signer
) -> None:
    """Private methods need a login."""
    answer = await peer.request("get_ledger_balances", {}, [session_key])

    assert answer.error == "authentication required"


async def test_a_stale_timestamp_is_refused(
    logged_in: Peer, session_key: signing.Signer
) -> None:
    """A stale timestamp is refused."""
    answer = await logged_in.request(
        "get_ledger_balances", {}, [session_key], timestamp=now_ms() - 61_000
    )

    assert answer.error == "invalid message timestamp"


async def test_a_timestamp_in_seconds_is_refused(
    logged_in: Peer, session_key: signing.Signer
) -> None:
    """A timestamp in seconds is refused."""
    answer = await logged_in.request(
        "get_ledger_balances", {}, [session_key], timestamp=int(time.time())
    )

    assert answer.error == "invalid message timestamp"


async def test_public_methods_ignore_the_timestamp(peer: Peer) -> None:
    """Public methods ignore the timestamp."""
    answer = await peer.request("get_config", {}, timestamp=5)

    assert answer.method == "get_config"


async def test_a_key_of_another_wallet_cannot_be_registered(
    connect: Connect,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A key of another wallet cannot be registered."""
    await (await connect()).login(wallet, session_key)
    answer = await (await connect()).login(counterparty, session_key)

    assert answer.error == "signer is already in use for another wallet"


async def test_a_new_key_for_the_same_application_replaces_the_old_one(
    connect: Connect, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """A new key for the same application replaces the old one."""
    replacement = signing.Signer.generate()
    peer = await connect()
    await peer.login(wallet, session_key)
    await peer.login(wallet, replacement)
    old_key_answer = await peer.request(
        "transfer", _transfer_to_self_free(), [session_key]
    )
    keys = await peer.request("get_session_keys", {}, [replacement])

    assert old_key_answer.error == "invalid signature"
    assert [k["session_key"] for k in keys.result["session_keys"]] == [
        replacement.address
    ]


async def test_an_expired_key_still_logs_in_by_jwt_but_signs_for_nobody(
    node: LocalClearNode,
    connect: Connect,
    wallet: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """The JWT outlives the key: the login works, what the key signs is refused."""
    jwt = (await (await connect()).login(wallet, session_key)).result["jwt_token"]
    node.expire_session_key(session_key.address)
    peer = await connect()
    login = await peer.request("auth_verify", {"jwt": jwt})
    answer = await peer.request("transfer", _transfer_to_self_free(), [session_key])

    assert login.result["success"] is True
    assert answer.error == "invalid signature"
    assert node.active_session_keys(wallet.address) == []


async def test_the_drop_session_keys_fault_keeps_no_key_of_a_login(
    node: LocalClearNode,
    peer: Peer,
    wallet: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """The login succeeds, yet its key signs for nobody."""
    node.faults.drop_session_keys = True
    login = await peer.login(wallet, session_key)
    answer = await peer.request("transfer", _transfer_to_self_free(), [session_key])

    assert login.result["success"] is True
    assert answer.error == "invalid signature"
    assert node.active_session_keys(wallet.address) == []


async def test_re_registering_a_key_keeps_its_stored_allowance(
    connect: Connect, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """Re registering a key keeps its stored allowance."""
    peer = await connect()
    await peer.login(wallet, session_key, allowances=[("usdc", "5")])
    await peer.login(wallet, session_key, allowances=[("usdc", "500")])
    keys = await peer.request("get_session_keys", {}, [session_key])

    assert keys.result["session_keys"][0]["allowances"] == [
        {"asset": "usdc", "allowance": "5", "used": "0"}
    ]


async def test_a_revoked_key_cannot_log_in_again(
    logged_in: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """A revoked key cannot log in again."""
    revoked = await logged_in.request(
        "revoke_session_key", {"session_key": session_key.address}, [wallet]
    )
    again = await logged_in.login(wallet, session_key)

    assert revoked.result == {"session_key": session_key.address}
    assert again.error == "session key already exists but is expired"


async def test_the_user_tag_is_stable(
    logged_in: Peer, session_key: signing.Signer
) -> None:
    """The user tag is stable."""
    first = await logged_in.request("get_user_tag", {}, [session_key])
    second = await logged_in.request("get_user_tag", {}, [session_key])

    assert first.result == second.result
    assert len(first.result["tag"]) == 6


def _transfer_to_self_free() -> dict[str, object]:
    return {
        "destination": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "allocations": [{"asset": "usdc", "amount": "1"}],
    }


async def test_pending_challenges_are_bounded(
    peer: Peer,
    wallet: signing.Signer,
    session_key: signing.Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pending challenges are bounded server-wide."""
    monkeypatch.setattr(auth, "MAX_PENDING_CHALLENGES", 2)
    for _ in range(2):
        await peer.auth_request(wallet.address, session_key.address)
    refused, _ = await peer.auth_request(wallet.address, session_key.address)

    assert refused.error == "too many pending challenges"
