"""The direct ABI encoder is byte-identical to eth-abi for every type the v1 hashes use."""

from typing import Any

import eth_abi
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.nitrolite.clearnode.errors import ClearNodeValidationError
from custom_components.nitrolite.clearnode.v1 import abi

LEAF_TYPES = ("uint8", "uint32", "uint64", "uint256", "int256", "address")
LEAF_TYPES += ("bytes32", "string", "bytes")

type Spec = str | tuple["Spec", ...] | list["Spec"]

specs: st.SearchStrategy[Spec] = st.recursive(
    st.sampled_from(LEAF_TYPES),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(tuple),
        inner.map(lambda element: [element]),
    ),
    max_leaves=6,
)


def type_string(spec: Spec) -> str:
    """Return the eth-abi type string of a spec."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, tuple):
        return "(" + ",".join(type_string(member) for member in spec) + ")"
    return type_string(spec[0]) + "[]"


def _leaf(spec: str) -> st.SearchStrategy[tuple[abi.AbiValue, Any]]:
    if spec.startswith("uint"):
        bits = int(spec[4:])
        return st.integers(0, 2**bits - 1).map(lambda v: (abi.uint(v, bits), v))
    strategies: dict[str, st.SearchStrategy[tuple[abi.AbiValue, Any]]] = {
        "int256": st.integers(-(2**255), 2**255 - 1).map(lambda v: (abi.int256(v), v)),
        "address": st.binary(min_size=20, max_size=20).map(
            lambda v: (abi.address(v), "0x" + v.hex())
        ),
        "bytes32": st.binary(min_size=32, max_size=32).map(
            lambda v: (abi.bytes32(v), v)
        ),
        "string": st.text(max_size=70).map(lambda v: (abi.string(v), v)),
        "bytes": st.binary(max_size=70).map(lambda v: (abi.dynamic_bytes(v), v)),
    }
    return strategies[spec]


def values(spec: Spec) -> st.SearchStrategy[tuple[abi.AbiValue, Any]]:
    """Return pairs (our encoded value, the value eth-abi takes) for a spec."""
    if isinstance(spec, str):
        return _leaf(spec)
    if isinstance(spec, tuple):
        return st.tuples(*(values(member) for member in spec)).map(
            lambda pairs: (
                abi.tuple_(*(p[0] for p in pairs)),
                tuple(p[1] for p in pairs),
            )
        )
    return st.lists(values(spec[0]), max_size=3).map(
        lambda pairs: (abi.array([p[0] for p in pairs]), [p[1] for p in pairs])
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data(), arguments=st.lists(specs, min_size=1, max_size=4))
def test_encoding_equals_eth_abi(data: st.DataObject, arguments: list[Spec]) -> None:
    """Any mix of static, dynamic, nested tuples and arrays encodes as eth-abi does."""
    pairs = [data.draw(values(spec)) for spec in arguments]
    ours = abi.encode(*(pair[0] for pair in pairs))
    theirs = eth_abi.encode(
        [type_string(spec) for spec in arguments], [pair[1] for pair in pairs]
    )
    assert ours == theirs


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: abi.uint(256, 8), "does not fit in uint8"),
        (lambda: abi.uint(-1, 64), "does not fit in uint64"),
        (lambda: abi.uint(True, 8), "must be an integer"),
        (lambda: abi.int256(2**255), "does not fit in int256"),
        (lambda: abi.address(bytes(19)), "an address is 20 bytes"),
        (lambda: abi.bytes32(bytes(31)), "bytes32 must be 32 bytes"),
    ],
)
def test_out_of_range_values_are_refused(build: Any, message: str) -> None:
    """A value that does not fit its type is an error, never a truncated word."""
    with pytest.raises(ClearNodeValidationError, match=message):
        build()
