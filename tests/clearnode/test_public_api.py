"""The top level exports what an application needs; the wire helpers are in ``v05``."""

import pytest

from custom_components.nitrolite import clearnode
from custom_components.nitrolite.clearnode import v05, v1

WIRE_HELPERS = [
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


@pytest.mark.parametrize("package", [clearnode, v05, v1], ids=lambda p: p.__name__)
def test_every_public_name_resolves(package) -> None:
    """Each name in a package's ``__all__`` is importable from it."""
    for name in package.__all__:
        assert getattr(package, name) is not None


@pytest.mark.parametrize("name", WIRE_HELPERS)
def test_wire_helpers_live_in_their_dialect_package(name) -> None:
    """Servers and tools find the v0.5 wire helpers in ``v05``, not at the top level."""
    assert name in v05.__all__
    assert name not in clearnode.__all__
    assert not hasattr(clearnode, name)
