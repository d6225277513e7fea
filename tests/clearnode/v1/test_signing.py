"""v1 signatures (0xA1, 0xA2, 0x00, 0x01) reproduce the vectors and eth-account."""

from dataclasses import replace

from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.nitrolite.clearnode.addresses import to_checksum_address
from custom_components.nitrolite.clearnode.errors import ClearNodeProtocolError
from custom_components.nitrolite.clearnode.signing import CURVE_N, Signer
from custom_components.nitrolite.clearnode.v1 import hashing
from custom_components.nitrolite.clearnode.v1.models import (
    AppStateUpdate,
    app_definition_from_wire,
)
from custom_components.nitrolite.clearnode.v1.session_keys import (
    AppSessionKeyState,
    ChannelSessionKeyState,
)
from custom_components.nitrolite.clearnode.v1.signing import (
    ChannelKeyAuthorization,
    QuorumSignerType,
    channel_session_key_signature,
    channel_signature,
    eip191_digest,
    personal_sign,
    quorum_signature,
    recover_channel_signer,
    recover_quorum_signer,
    verify_node_signature,
)
from custom_components.nitrolite.clearnode.v1.state import ChannelState

from .vectors import address, load, signer, two_party

VECTORS = two_party()
CREATE = VECTORS["create"]
CHANNEL = VECTORS["channel"]
CHANNEL_KEY = load("chsk")
USER, PEER, SESSION_KEY, NODE = (
    signer(role) for role in ("user", "peer", "session_key", "node")
)
COMMIT = ChannelState.from_wire(CHANNEL["commit_state"])
COMMIT_PACKED = hashing.pack_state(COMMIT, CHANNEL["token_decimals"])


def create_hash() -> bytes:
    """Return the two-party create hash."""
    definition = app_definition_from_wire(CREATE["definition"])
    return hashing.create_request_hash(definition, CREATE["session_data"])


def test_create_is_signed_by_both_wallets_with_0xa1() -> None:
    """Both participants' create signatures are the vectors' and recover to them."""
    digest = create_hash()
    assert eip191_digest(digest).hex() == CREATE["eip191_digest"][2:]
    for wallet, key in ((USER, "sig_user_wallet_A1"), (PEER, "sig_peer_wallet_A1")):
        signature = quorum_signature(wallet, digest)
        assert signature == CREATE[key]
        assert recover_quorum_signer(digest, signature) == (
            QuorumSignerType.WALLET,
            wallet.address,
        )


@pytest.mark.parametrize("name", sorted(VECTORS["updates"]))
def test_updates_are_signed_by_wallets_and_the_app_session_key(name: str) -> None:
    """Each update's 0xA1 (user, peer) and 0xA2 (session key) signatures match."""
    case = VECTORS["updates"][name]
    digest = hashing.app_state_update_hash(
        AppStateUpdate.from_wire(case["app_state_update"])
    )
    assert quorum_signature(USER, digest) == case["sig_user_wallet_A1"]
    assert quorum_signature(PEER, digest) == case["sig_peer_wallet_A1"]
    key_signature = quorum_signature(SESSION_KEY, digest, QuorumSignerType.SESSION_KEY)
    assert key_signature == case["sig_user_session_key_A2"]
    assert recover_quorum_signer(digest, key_signature) == (
        QuorumSignerType.SESSION_KEY,
        SESSION_KEY.address,
    )


def test_single_participant_signatures() -> None:
    """The single-party create and close signatures are the vectors'."""
    single = load("single")
    assert (
        quorum_signature(USER, bytes.fromhex(single["create_hash"][2:]))
        == (single["create_sig_A1"])
    )
    assert (
        quorum_signature(USER, bytes.fromhex(single["close_hash"][2:]))
        == (single["close_sig_A1"])
    )


def test_app_session_key_registration_is_signed_by_wallet_and_key() -> None:
    """Both key-state signatures are bare 65-byte personal signatures of its hash."""
    case = VECTORS["app_session_key_state"]
    digest = hashing.app_session_key_state_hash(
        AppSessionKeyState.from_wire(case["state"])
    )
    assert personal_sign(USER, digest) == case["user_sig"]
    assert personal_sign(SESSION_KEY, digest) == case["session_key_sig"]


@pytest.mark.parametrize("name", ["ack_state", "commit_state"])
def test_channel_states_are_signed_0x00_by_the_wallet(name: str) -> None:
    """The wallet's 0x00 signature over the 640-byte packing is the vector's."""
    state = ChannelState.from_wire(CHANNEL[name])
    packed = hashing.pack_state(state, CHANNEL["token_decimals"])
    assert channel_signature(USER, packed) == state.user_sig
    assert recover_channel_signer(packed, state.user_sig or "") == (USER.address, None)


def channel_key_authorization() -> ChannelKeyAuthorization:
    """Return the vectors' channel session key authorisation."""
    state = ChannelSessionKeyState.from_wire(CHANNEL_KEY["state"])
    metadata = hashing.channel_key_metadata_hash(state)
    return ChannelKeyAuthorization(state.session_key, metadata, CHANNEL_KEY["user_sig"])


def test_channel_session_key_registration_signatures() -> None:
    """Wallet and key sign the 96-byte authorisation (bare personal signatures)."""
    authorization = channel_key_authorization()
    message = hashing.pack_channel_key_authorization(
        authorization.session_key, authorization.metadata_hash
    )
    assert personal_sign(USER, message) == CHANNEL_KEY["user_sig"]
    assert personal_sign(SESSION_KEY, message) == CHANNEL_KEY["session_key_sig"]


def test_a_channel_session_key_signs_a_state_with_0x01() -> None:
    """The 417-byte 0x01 signature of the commit is the vector's; it names the wallet."""
    authorization = channel_key_authorization()
    signature = channel_session_key_signature(SESSION_KEY, COMMIT_PACKED, authorization)
    assert signature == CHANNEL_KEY["commit_sig_0x01"]
    assert len(bytes.fromhex(signature[2:])) == CHANNEL_KEY["commit_sig_0x01_len"]
    assert recover_channel_signer(COMMIT_PACKED, signature) == (
        USER.address,
        authorization,
    )


def test_a_0x01_signature_over_another_state_is_refused() -> None:
    """The key's signature must cover the very state it is presented with."""
    other = hashing.pack_state(ChannelState.from_wire(CHANNEL["ack_state"]), 6)
    with pytest.raises(ClearNodeProtocolError, match="did not sign this state"):
        recover_channel_signer(other, CHANNEL_KEY["commit_sig_0x01"])


@pytest.mark.parametrize(
    "signature",
    [
        CHANNEL_KEY["commit_sig_0x01"][:-2],
        CHANNEL_KEY["commit_sig_0x01"] + "00",
        CHANNEL_KEY["commit_sig_0x01"][:-2] + "01",
        CHANNEL_KEY["commit_sig_0x01"].replace("0x010000", "0x010001", 1),
    ],
    ids=["truncated", "extended", "dirty padding", "wrong offset"],
)
def test_a_non_canonical_0x01_blob_is_refused(signature: str) -> None:
    """Only the one canonical ABI layout of the key signature is accepted."""
    with pytest.raises(ClearNodeProtocolError, match="malformed session key"):
        recover_channel_signer(COMMIT_PACKED, signature)


def test_the_node_co_signature_is_verified_against_its_address() -> None:
    """The node's 0x00 signature passes for its address and fails for anyone else."""
    signature = channel_signature(NODE, COMMIT_PACKED)
    verify_node_signature(COMMIT_PACKED, signature, CHANNEL["node_address"])
    for wrong in (
        lambda: verify_node_signature(COMMIT_PACKED, signature, address("user")),
        lambda: verify_node_signature(
            COMMIT_PACKED, COMMIT.user_sig or "", CHANNEL["node_address"]
        ),
        lambda: verify_node_signature(
            hashing.pack_state(replace(COMMIT, version=4), 6),
            signature,
            CHANNEL["node_address"],
        ),
        lambda: verify_node_signature(
            COMMIT_PACKED, CHANNEL_KEY["commit_sig_0x01"], address("user")
        ),
    ):
        with pytest.raises(ClearNodeProtocolError):
            wrong()


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "not 0x-prefixed"),
        ("a1" + "00" * 65, "not 0x-prefixed"),
        ("0xa1zz", "not hexadecimal"),
        ("0x", "unknown signer type none"),
        ("0xa3" + "11" * 65, "unknown signer type 163"),
        ("0x00" + "11" * 65, "unknown signer type 0"),
        ("0xa1" + "11" * 64, "not 65 bytes"),
    ],
)
def test_malformed_quorum_signatures_are_refused(signature: str, message: str) -> None:
    """A quorum signature is 0x, 0xA1 or 0xA2, and exactly 65 bytes."""
    with pytest.raises(ClearNodeProtocolError, match=message):
        recover_quorum_signer(bytes(32), signature)


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("0x02" + "11" * 65, "unknown signer type 2"),
        ("0xa1" + "11" * 65, "unknown signer type 161"),
        ("0x00" + "11" * 64, "not 65 bytes"),
        ("0x", "unknown signer type none"),
    ],
)
def test_malformed_channel_signatures_are_refused(signature: str, message: str) -> None:
    """A channel signature is 0x00 with 65 bytes or a 0x01 blob."""
    with pytest.raises(ClearNodeProtocolError, match=message):
        recover_channel_signer(COMMIT_PACKED, signature)


private_keys = st.integers(min_value=1, max_value=CURVE_N - 1)


@settings(max_examples=100, deadline=None)
@given(
    secret=private_keys,
    message=st.one_of(
        st.binary(min_size=32, max_size=32),
        st.binary(min_size=640, max_size=640),
        st.binary(max_size=200),
    ),
)
def test_personal_signatures_equal_eth_account_sign_message(
    secret: int, message: bytes
) -> None:
    """For any key and message, our EIP-191 signature is eth-account's, byte for byte."""
    theirs = Account.sign_message(
        encode_defunct(primitive=message), secret.to_bytes(32)
    )
    ours = Signer(secret)
    assert personal_sign(ours, message) == "0x" + bytes(theirs.signature).hex()
    assert quorum_signature(ours, message) == "0xa1" + bytes(theirs.signature).hex()
    assert recover_channel_signer(message, channel_signature(ours, message)) == (
        to_checksum_address(Account.from_key(secret.to_bytes(32)).address),
        None,
    )
