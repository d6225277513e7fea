"""v1 frames, canonical decimals and the mapping of the node's error texts."""

import contextlib
from decimal import Decimal
import json
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.nitrolite.clearnode.amounts import AmountError
from custom_components.nitrolite.clearnode.connection import MAX_FRAME_CHARS
from custom_components.nitrolite.clearnode.errors import (
    ClearNodeProtocolError,
    ClearNodeRateLimitedError,
    ClearNodeRejectedError,
    ClearNodeValidationError,
    ClearNodeVersionConflictError,
)
from custom_components.nitrolite.clearnode.frames import FrameKind
from custom_components.nitrolite.clearnode.v1.codec import (
    MAX_DEPTH,
    MAX_REASON_CHARS,
    MAX_REQUEST_BYTES,
    canonical_decimal,
    check_precision,
    decode_frame,
    encode_request,
    hex_to_bytes,
    parse_wire_decimal,
    rejected_error,
    wire_address,
)

from .vectors import frames

FRAMES = frames()


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_every_vector_frame_is_encoded_byte_for_byte(name: str) -> None:
    """Each of the 14 frames is reproduced exactly from its id, method, payload and ts."""
    kind, request_id, method, payload, timestamp = json.loads(FRAMES[name])
    assert kind == 1
    assert encode_request(request_id, method, payload, timestamp) == FRAMES[name]


@pytest.mark.parametrize(
    ("request_id", "method", "payload", "timestamp", "field"),
    [
        (-1, "node.v1.ping", {}, 1, "request_id"),
        (2**53, "node.v1.ping", {}, 1, "request_id"),
        (True, "node.v1.ping", {}, 1, "request_id"),
        (1, "", {}, 1, "method"),
        (1, "x" * 129, {}, 1, "method"),
        (1, "node.v1.ping", [], 1, "payload"),
        (1, "node.v1.ping", {}, -1, "timestamp"),
        (1, "node.v1.ping", {}, 1.5, "timestamp"),
        (1, "node.v1.ping", {"pad": "x" * MAX_REQUEST_BYTES}, 1, "payload"),
    ],
)
def test_a_request_the_node_would_refuse_is_not_encoded(
    request_id: Any, method: Any, payload: Any, timestamp: Any, field: str
) -> None:
    """Ids past 2**53, empty methods, non-objects and frames over 128 KiB are refused."""
    with pytest.raises(ClearNodeValidationError) as caught:
        encode_request(request_id, method, payload, timestamp)
    assert caught.value.field == field


def test_a_response_decodes_to_its_id_method_and_result() -> None:
    """Type 2 is a response; the result object is the payload; nothing is signed."""
    frame = decode_frame('[2,7,"node.v1.get_config",{"node_version":"v1.4.1"},1]')
    assert frame.kind is FrameKind.RESPONSE
    assert (frame.request_id, frame.method) == (7, "node.v1.get_config")
    assert frame.payload == {"node_version": "v1.4.1"}
    assert (frame.signed_text, frame.signatures) == ("", ())


def test_an_error_frame_carries_the_node_text() -> None:
    """Type 4 is an error; its text is the reason, even for an unparsable request."""
    frame = decode_frame('[4,0,"",{"error":"invalid message format"},1764201600000]')
    assert frame.kind is FrameKind.ERROR
    assert (frame.request_id, frame.method) == (0, "")
    assert frame.error_reason == "invalid message format"


def test_an_event_frame_is_a_push() -> None:
    """Type 3 (which v1.4 nodes never send) is handed over as a push."""
    assert decode_frame('[3,0,"home_channel_created",{},1]').kind is FrameKind.PUSH


MALFORMED = {
    "not json": "[2,1,",
    "an object": '{"res":[1,"ping",{},1]}',
    "four elements": '[2,1,"m",{}]',
    "six elements": '[2,1,"m",{},1,1]',
    "a request": '[1,1,"m",{},1]',
    "type 5": '[5,1,"m",{},1]',
    "type as text": '["2",1,"m",{},1]',
    "type true": '[true,1,"m",{},1]',
    "negative id": '[2,-1,"m",{},1]',
    "id as text": '[2,"1","m",{},1]',
    "fractional id": '[2,1.0,"m",{},1]',
    "id past uint64": f'[2,{2**64},"m",{{}},1]',
    "fractional timestamp": '[2,1,"m",{},1.5]',
    "method number": "[2,1,7,{},1]",
    "method too long": f'[2,1,"{"m" * 129}",{{}},1]',
    "result a list": '[2,1,"m",[],1]',
    "result null": '[2,1,"m",null,1]',
    "error without text": '[4,1,"m",{},1]',
    "error text a number": '[4,1,"m",{"error":7},1]',
    "NaN": '[2,1,"m",{"a":NaN},1]',
    "Infinity": '[2,1,"m",{"a":-Infinity},1]',
    "nested too deep": '[2,1,"m",'
    + '{"a":' * MAX_DEPTH
    + "1"
    + "}" * MAX_DEPTH
    + ",1]",
    "nested to exhaust the parser": "[" * 200_000 + "]" * 200_000,
    "oversized": '[2,1,"m",{"a":"' + "x" * MAX_FRAME_CHARS + '"},1]',
    "huge integer": "[2," + "9" * 5000 + ',"m",{},1]',
}


@pytest.mark.parametrize("text", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_frames_are_protocol_errors(text: str) -> None:
    """Anything but a well-typed 2/3/4 frame within the bounds is a protocol error."""
    with pytest.raises(ClearNodeProtocolError, match="malformed frame"):
        decode_frame(text)


def test_a_binary_frame_is_a_protocol_error() -> None:
    """The node sends text frames; bytes are not decoded."""
    with pytest.raises(ClearNodeProtocolError, match="not text"):
        decode_frame(b'[2,1,"m",{},1]')  # type: ignore[arg-type]


def test_nesting_up_to_the_bound_is_accepted() -> None:
    """The depth bound leaves room: MAX_DEPTH levels, the frame array included."""
    inner = MAX_DEPTH - 2
    text = '[2,1,"m",' + '{"a":' * inner + "1" + "}" * inner + ",1]"
    assert decode_frame(text).kind is FrameKind.RESPONSE


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_any_json_decodes_or_is_a_protocol_error(value: Any) -> None:
    """No input makes the decoder fail other than with ClearNodeProtocolError."""
    try:
        frame = decode_frame(json.dumps(value))
    except ClearNodeProtocolError:
        return
    assert frame.kind in set(FrameKind)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_any_text_decodes_or_is_a_protocol_error(text: str) -> None:
    """Arbitrary text never escapes as another exception."""
    with contextlib.suppress(ClearNodeProtocolError):
        decode_frame(text)


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("1.50", "1.5"),
        ("1E2", "100"),
        ("0.000", "0"),
        ("-0", "0"),
        ("1e-7", "0.0000001"),
        ("4.250", "4.25"),
        ("-1.50", "-1.5"),
        (".5", "0.5"),
        ("+1", "1"),
        ("1.", "1"),
        ("1.5e3", "1500"),
        ("-0.000e5", "0"),
    ],
)
def test_canonical_decimals_are_what_go_prints(sent: str, canonical: str) -> None:
    """Hashes use shopspring/decimal's String(): no exponent, no trailing zeros, no -0."""
    assert canonical_decimal(sent) == canonical
    assert canonical_decimal(parse_wire_decimal(sent)) == canonical


def go_decimal_string(text: str) -> str:
    """Return NewFromString(text).String(), written from shopspring/decimal's algorithm."""
    mantissa, _, exponent_text = text.replace("E", "e").partition("e")
    integer, _, fraction = mantissa.partition(".")
    value = int(integer + fraction)
    exponent = (int(exponent_text) if exponent_text else 0) - len(fraction)
    if exponent >= 0:
        return str(value * 10**exponent)
    digits = str(abs(value))
    if len(digits) > -exponent:
        whole, decimals = digits[:exponent], digits[exponent:]
    else:
        whole, decimals = "0", "0" * (-exponent - len(digits)) + digits
    decimals = decimals.rstrip("0")
    number = whole + ("." + decimals if decimals else "")
    return "-" + number if value < 0 else number


go_decimals = st.builds(
    lambda sign, whole, point, fraction, exponent: (
        sign + whole + ("." if point or not whole else "") + fraction + exponent
    ),
    st.sampled_from(["", "+", "-"]),
    st.text("0123456789", max_size=20),
    st.booleans(),
    st.text("0123456789", max_size=20),
    st.sampled_from(["", "e", "E", "e+", "e-"]).flatmap(
        lambda mark: (
            st.just("") if not mark else st.integers(0, 10).map(lambda n: f"{mark}{n}")
        )
    ),
).filter(
    lambda text: any(c.isdigit() for c in text.partition("e")[0].partition("E")[0])
)


@settings(max_examples=500, deadline=None)
@given(text=go_decimals)
def test_canonical_form_matches_go_for_any_decimal_it_accepts(text: str) -> None:
    """Every decimal Go parses gets Go's printed form, signs and exponents included."""
    assert canonical_decimal(text) == go_decimal_string(text)


@pytest.mark.parametrize(
    "text",
    [" 1", "1 ", "1_000", "0x10", "NaN", "Infinity", "", ".", "1e", "--1", "١", "1,5"],
)
def test_what_go_refuses_is_not_a_decimal(text: str) -> None:
    """Spaces, underscores, hex, NaN, non-ASCII digits: refused as the node refuses them."""
    with pytest.raises(AmountError):
        parse_wire_decimal(text)


def test_decimals_stay_bounded() -> None:
    """An exponent that would expand into a huge string is refused, not formatted."""
    with pytest.raises(AmountError):
        canonical_decimal("1e999999999")


def test_precision_is_judged_by_the_places_written() -> None:
    """Seven places written ("1.0000000") are too many for a six-decimal asset."""
    check_precision(Decimal("1.000000"), 6)
    check_precision(Decimal("1E2"), 0)
    with pytest.raises(
        AmountError,
        match=r"^amount exceeds maximum decimal precision: max 6 decimals allowed, got 7$",
    ):
        check_precision(Decimal("1.0000000"), 6)
    with pytest.raises(AmountError, match="not a finite number"):
        check_precision(Decimal("NaN"), 6)


def test_a_version_conflict_is_typed_with_both_versions() -> None:
    """The node's version-conflict text becomes an error carrying N and M."""
    error = rejected_error(
        "app_sessions.v1.submit_app_state",
        "invalid app session version: expected 5, got 4",
    )
    assert isinstance(error, ClearNodeVersionConflictError)
    assert (error.expected, error.got) == (5, 4)
    assert error.method == "app_sessions.v1.submit_app_state"


def test_rate_limiting_and_other_texts_map_to_rejections() -> None:
    """v1.2/1.3 rate limiting is typed; any other text is a plain rejection."""
    assert isinstance(
        rejected_error("m", "rate limit exceeded"), ClearNodeRateLimitedError
    )
    other = rejected_error("m", "app session not found")
    assert type(other) is ClearNodeRejectedError
    assert other.reason == "app session not found"


def test_a_long_error_text_is_truncated() -> None:
    """A reason text cannot carry a megabyte into an exception."""
    error = rejected_error("m", "x" * 10_000)
    assert error.reason == "x" * MAX_REASON_CHARS + "…"


@pytest.mark.parametrize(
    "value",
    ["0x" + "0" * 63, "0x" + "0" * 65, "00" * 33, "0x" + "0 " * 32, "0x" + "g" * 64],
)
def test_hex_must_be_0x_and_exactly_the_size(value: str) -> None:
    """Ids and hashes are 0x and exactly 2 × size hex digits, nothing else."""
    with pytest.raises(ClearNodeValidationError):
        hex_to_bytes(value, 32, "id")


def test_addresses_go_out_lowercase() -> None:
    """The node compares some addresses as exact strings: lowercase is always safe."""
    mixed = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert wire_address(mixed, "wallet") == mixed.lower()
    with pytest.raises(ClearNodeValidationError):
        wire_address(mixed[:-1], "wallet")
