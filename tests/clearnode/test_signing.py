"""Signatures are byte-identical to eth-account and to the SDK vectors."""

from eth_account import Account
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.nitrolite.clearnode import (
    ClearNodeProtocolError,
    ClearNodeValidationError,
    Signer,
)
from custom_components.nitrolite.clearnode.digests import keccak256
from custom_components.nitrolite.clearnode.signing import (
    BACKEND,
    CURVE_N,
    FastecdsaBackend,
    NativeBackend,
    recover_address,
)

from .vectors import emitted_signatures, key_for_address, keys

FAST = FastecdsaBackend()
NATIVE = NativeBackend()
BACKENDS = pytest.mark.parametrize("backend", [FAST, NATIVE], ids=["fast", "native"])
SIGNATURES = emitted_signatures()

private_keys = st.integers(min_value=1, max_value=CURVE_N - 1)
digests = st.binary(min_size=32, max_size=32)


def eth_account_signature(secret: int, digest: bytes) -> str:
    """Eth account signature."""
    signed = Account.from_key(secret.to_bytes(32)).unsafe_sign_hash(digest)
    return "0x" + bytes(signed.signature).hex()


def test_fastecdsa_is_the_active_backend() -> None:
    """Fastecdsa is the active backend."""
    assert BACKEND.fast


@settings(max_examples=200, deadline=None)
@given(secret=private_keys, digest=digests)
def test_fast_path_signs_exactly_like_eth_account(secret, digest) -> None:
    """Fast path signs exactly like eth account."""
    ours = Signer(secret, FAST).sign_digest(digest)
    assert ours == eth_account_signature(secret, digest)


@settings(max_examples=30, deadline=None)
@given(secret=private_keys, digest=digests)
def test_fallback_signs_exactly_like_eth_account(secret, digest) -> None:
    """Fallback signs exactly like eth account."""
    ours = Signer(secret, NATIVE).sign_digest(digest)
    assert ours == eth_account_signature(secret, digest)


@settings(max_examples=50, deadline=None)
@given(secret=private_keys, digest=digests)
def test_fast_recovery_returns_the_signer(secret, digest) -> None:
    """Fast recovery returns the signer."""
    signer = Signer(secret, FAST)
    signature = signer.sign_digest(digest)
    assert recover_address(digest, signature, FAST) == signer.address
    assert signer.address == Account.from_key(secret.to_bytes(32)).address


@BACKENDS
@pytest.mark.parametrize(("signed", "address", "signature"), SIGNATURES)
def test_vector_signatures_reproduced_and_recovered(
    backend, signed, address, signature
) -> None:
    """Vector signatures reproduced and recovered."""
    signer = Signer.from_key(key_for_address(address), backend)
    assert signer.address == address
    assert signer.sign_message(signed) == signature
    assert recover_address(keccak256(signed.encode()), signature, backend) == address


@pytest.mark.parametrize(
    "signature",
    [
        "0x1234",
        "0x" + "00" * 65,
        "0x" + "11" * 64 + "1d",
        "0x" + "ff" * 64 + "1b",
    ],
)
def test_recover_address_refuses_invalid_signatures(signature) -> None:
    """Recover address refuses invalid signatures."""
    with pytest.raises(ClearNodeProtocolError):
        recover_address(b"\x01" * 32, signature)


def test_signer_never_shows_its_key() -> None:
    """Signer never shows its key."""
    key = keys()["wallet"]["private_key"]
    signer = Signer.from_key(key)
    for text in (repr(signer), str(signer), f"{signer}"):
        assert key[2:] not in text
        assert signer.address in text


@pytest.mark.parametrize("key", ["", "0x12", "zz" * 32, "0x" + "00" * 32])
def test_signer_refuses_bad_keys_without_echoing_them(key) -> None:
    """Signer refuses bad keys without echoing them."""
    with pytest.raises(ClearNodeValidationError) as caught:
        Signer.from_key(key)
    assert caught.value.field == "private_key"
    assert key not in str(caught.value) or not key


def test_generated_keys_differ_and_sign_recoverably() -> None:
    """Generated keys differ and sign recoverably."""
    first, second = Signer.generate(), Signer.generate()
    assert first.address != second.address
    digest = keccak256(b"x")
    assert recover_address(digest, first.sign_digest(digest)) == first.address
