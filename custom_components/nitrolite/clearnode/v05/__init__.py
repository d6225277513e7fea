"""ClearNode v0.5 (NitroRPC/0.4 envelopes, EIP-712 login): the client and the wire API.

:class:`ClearNodeClient` is what an application uses (also exported by the library's
top level). The other names in ``__all__`` are this dialect's public wire API, for
servers and tools that speak v0.5 themselves (the local ClearNode, benchmarks): the
envelope codec, Go's JSON, the app session id, the login digest and the broker's
signature check. Everything else in this package is internal.
"""

from ..digests import keccak256
from ..frames import compact_json
from ..signing import recover_address
from .app_sessions import app_session_id
from .auth import eip712_auth_digest
from .broker import SignatureVerifier
from .client import ClearNodeClient
from .codec import (
    decode_frame,
    encode_request,
    encode_response,
    extract_raw,
    frame_request,
    frame_response,
)
from .gojson import go_json

__all__ = [
    "ClearNodeClient",
    "SignatureVerifier",
    "app_session_id",
    "compact_json",
    "decode_frame",
    "eip712_auth_digest",
    "encode_request",
    "encode_response",
    "extract_raw",
    "frame_request",
    "frame_response",
    "go_json",
    "keccak256",
    "recover_address",
]
