"""v0.5 signatures: raw keccak over the request text, the EIP-712 login, the broker's."""

from decimal import Decimal

from eth_account.messages import encode_typed_data
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.nitrolite.clearnode import Signer
from custom_components.nitrolite.clearnode.signing import (
    CURVE_N,
    FastecdsaBackend,
    NativeBackend,
)
from custom_components.nitrolite.clearnode.v05 import (
    SignatureVerifier,
    eip712_auth_digest,
    extract_raw,
    keccak256,
    recover_address,
)
from tests.clearnode.vectors import keys, vectors

FAST = FastecdsaBackend()
NATIVE = NativeBackend()
BACKENDS = pytest.mark.parametrize("backend", [FAST, NATIVE], ids=["fast", "native"])

private_keys = st.integers(min_value=1, max_value=CURVE_N - 1)
digests = st.binary(min_size=32, max_size=32)


def test_eip191_signature_recovers_to_a_different_address() -> None:
    """Eip191 signature recovers to a different address."""
    contrast = vectors()["contrast_NOT_ACCEPTED"]
    digest = keccak256(contrast["signed_bytes_utf8"].encode())
    recovered = recover_address(digest, contrast["eip191_signature"])
    assert recovered == contrast["recovered_if_server_treats_as_raw"]


def auth_vector() -> dict:
    """Auth vector."""
    return vectors()["sdk_emitted"]["auth_verify_eip712"]


def auth_digest_of(message: dict, application: str) -> bytes:
    """Auth digest of."""
    return eip712_auth_digest(
        application,
        message["challenge"],
        message["scope"],
        message["wallet"],
        message["session_key"],
        message["expires_at"],
        [(a["asset"], a["amount"]) for a in message["allowances"]],
    )


def test_eip712_auth_digest_matches_vector_and_signature() -> None:
    """Eip712 auth digest matches vector and signature."""
    case = auth_vector()
    typed = case["eip712"]
    digest = auth_digest_of(typed["message"], typed["domain"]["name"])
    assert "0x" + digest.hex() == typed["digest"]
    wallet = Signer.from_key(keys()["wallet"]["private_key"])
    assert wallet.sign_digest(digest) == case["signature"]


def eth_account_auth_digest(message: dict, application: str) -> bytes:
    """Eth account auth digest."""
    typed = auth_vector()["eip712"]
    full = {
        "types": typed["types"],
        "primaryType": "Policy",
        "domain": {"name": application},
        "message": message,
    }
    signable = encode_typed_data(full_message=full)
    return keccak256(b"\x19" + signable.version + signable.header + signable.body)


@settings(max_examples=40, deadline=None)
@given(
    application=st.text(max_size=20),
    challenge=st.uuids().map(str),
    scope=st.text(max_size=10),
    expires_at=st.integers(min_value=0, max_value=2**64 - 1),
    allowances=st.lists(
        st.tuples(
            st.sampled_from(["usdc", "ytest.usd", "é<&>"]),
            st.decimals(min_value=0, max_value=10**9, allow_nan=False, places=6),
        ),
        max_size=3,
    ),
)
def test_eip712_auth_digest_matches_eth_account(
    application, challenge, scope, expires_at, allowances
) -> None:
    """Eip712 auth digest matches eth account."""
    message = {
        "challenge": challenge,
        "scope": scope,
        "wallet": keys()["wallet"]["address"],
        "session_key": keys()["session_key"]["address"],
        "expires_at": expires_at,
        "allowances": [{"asset": a, "amount": str(m)} for a, m in allowances],
    }
    ours = eip712_auth_digest(
        application,
        challenge,
        scope,
        message["wallet"],
        message["session_key"],
        expires_at,
        [(a, str(m)) for a, m in allowances],
    )
    assert ours == eth_account_auth_digest(message, application)


def test_eip712_auth_digest_formats_decimal_allowances_plainly() -> None:
    """Eip712 auth digest formats decimal allowances plainly."""
    message = auth_vector()["eip712"]["message"]
    as_text = auth_digest_of(message, "test-app")
    as_decimal = eip712_auth_digest(
        "test-app",
        message["challenge"],
        message["scope"],
        message["wallet"],
        message["session_key"],
        message["expires_at"],
        [("usdc", Decimal("1E+6"))],
    )
    assert as_decimal == as_text


@BACKENDS
@settings(max_examples=25, deadline=None)
@given(secret=private_keys, digests_=st.lists(digests, min_size=2, max_size=3))
def test_verifier_with_known_key_agrees_with_recovery(backend, secret, digests_):
    """After the first signature, direct verification accepts and refuses alike."""
    signer = Signer(secret, backend)
    verifier = SignatureVerifier(signer.address, backend)
    other = Signer.generate(backend)
    for digest in digests_:
        text = digest.hex()
        assert verifier.verify(text, [signer.sign_message(text)])
        assert not verifier.verify(text, [other.sign_message(text)])
        assert not verifier.verify(text + "x", [signer.sign_message(text)])


def test_signature_verifier_accepts_broker_and_refuses_others() -> None:
    """Signature verifier accepts broker and refuses others."""
    case = vectors()["synthetic_server_response"]
    res_text = extract_raw(case["message"], "res")
    signature = case["message"].split('"sig":["')[1][:132]
    verifier = SignatureVerifier(case["broker_address"].lower())
    assert verifier.address == case["broker_address"]
    assert verifier.verify(res_text, [signature])
    assert not verifier.verify(res_text + " ", [signature])
    assert not verifier.verify(res_text, [])
    assert not verifier.verify(res_text, ["0x00"])
    other = Signer.from_key(keys()["wallet"]["private_key"])
    assert not verifier.verify(res_text, [other.sign_message(res_text)])
