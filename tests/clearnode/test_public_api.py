"""The top level exports what an application needs; wire helpers moved to ``v05``."""

import pytest

from custom_components.nitrolite import clearnode
from custom_components.nitrolite.clearnode import v05, v1

MOVED_TO_V05 = [
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


@pytest.mark.parametrize("name", MOVED_TO_V05)
def test_wire_helpers_moved_to_v05_still_resolve_with_a_warning(name) -> None:
    """The old top-level import keeps working, warns, and gives the v05 object."""
    assert name not in clearnode.__all__
    assert name in v05.__all__
    with pytest.warns(DeprecationWarning, match=f"import {name} from"):
        moved = getattr(clearnode, name)
    assert moved is getattr(v05, name)


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    """The moved names are the only ones resolved late."""
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = clearnode.no_such_name
