"""Nitronode v1 protocol primitives: frames, hashes, signatures, channel states.

The v1 node (PROTOCOL_V1) has no login and no envelope signatures: authority comes
from EIP-191 signatures inside state-changing payloads, over ABI encodings this
package reproduces byte for byte.

:class:`NitronodeClient` is what an application uses (also exported by the library's
top level), with :func:`faucet_url_for`. The other names in ``__all__`` are this
dialect's public wire API, for servers and tools that speak v1 themselves (the local
Nitronode, benchmarks): frames, amounts as the node writes them, app-session and
channel-state models, the hashes that are signed, the signatures, and the
channel-state rules. The modules behind them are internal.
"""

from ..digests import keccak256
from .channels import ChannelDefinition, ChannelState, Ledger, Transition
from .client import NitronodeClient
from .codec import (
    canonical_decimal,
    check_precision,
    decode_frame,
    encode_request,
    parse_wire_decimal,
    rejected_error,
)
from .faucet import faucet_url_for
from .hashing import (
    app_session_id,
    app_session_key_state_hash,
    app_state_update_hash,
    create_request_hash,
    home_channel_id,
    pack_channel_key_authorization,
    pack_state,
    state_id,
    transaction_id,
)
from .models import (
    PROTOCOL,
    AppIntent,
    AppStateUpdate,
    TransactionType,
    TransitionType,
    app_definition_from_wire,
    app_definition_to_wire,
    app_session_from_wire,
)
from .session_keys import AppSessionKeyState, ChannelSessionKeyState
from .signing import (
    ChannelKeyAuthorization,
    ChannelSignerType,
    QuorumSignerType,
    channel_session_key_signature,
    channel_signature,
    personal_sign,
    quorum_signature,
    recover_channel_signer,
    recover_personal_signer,
    recover_quorum_signer,
    verify_node_signature,
)
from .state import (
    apply_acknowledgement,
    apply_commit,
    apply_release,
    apply_transfer_receive,
    apply_transfer_send,
    next_state,
    sig_validators_bitmap,
    sign_state,
    validate_advancement,
    void_state,
    with_home_channel,
)

__all__ = [
    "PROTOCOL",
    "AppIntent",
    "AppSessionKeyState",
    "AppStateUpdate",
    "ChannelDefinition",
    "ChannelKeyAuthorization",
    "ChannelSessionKeyState",
    "ChannelSignerType",
    "ChannelState",
    "Ledger",
    "NitronodeClient",
    "QuorumSignerType",
    "TransactionType",
    "Transition",
    "TransitionType",
    "app_definition_from_wire",
    "app_definition_to_wire",
    "app_session_from_wire",
    "app_session_id",
    "app_session_key_state_hash",
    "app_state_update_hash",
    "apply_acknowledgement",
    "apply_commit",
    "apply_release",
    "apply_transfer_receive",
    "apply_transfer_send",
    "canonical_decimal",
    "channel_session_key_signature",
    "channel_signature",
    "check_precision",
    "create_request_hash",
    "decode_frame",
    "encode_request",
    "faucet_url_for",
    "home_channel_id",
    "keccak256",
    "next_state",
    "pack_channel_key_authorization",
    "pack_state",
    "parse_wire_decimal",
    "personal_sign",
    "quorum_signature",
    "recover_channel_signer",
    "recover_personal_signer",
    "recover_quorum_signer",
    "rejected_error",
    "sig_validators_bitmap",
    "sign_state",
    "state_id",
    "transaction_id",
    "validate_advancement",
    "verify_node_signature",
    "void_state",
    "with_home_channel",
]
