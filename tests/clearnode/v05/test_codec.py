"""The v0.5 envelope encoding reproduces the SDK and Go byte for byte."""

from decimal import Decimal
import json

import pytest

from custom_components.nitrolite.clearnode import (
    AppDefinition,
    ClearNodeProtocolError,
    format_amount,
)
from custom_components.nitrolite.clearnode.frames import MAX_REASON_CHARS, FrameKind
from custom_components.nitrolite.clearnode.v05 import (
    app_session_id,
    compact_json,
    decode_frame,
    encode_request,
    encode_response,
    extract_raw,
    frame_request,
    frame_response,
    go_json,
    keccak256,
)
from custom_components.nitrolite.clearnode.v05.codec import (
    MAX_FRAME_SIGNATURES,
    MAX_NESTING,
    split_frame,
)
from tests.clearnode.vectors import emitted_with_bytes, vectors

EMITTED = emitted_with_bytes()
EMITTED_IDS = [name for name, _ in EMITTED]


@pytest.mark.parametrize(("name", "case"), EMITTED, ids=EMITTED_IDS)
def test_encode_request_reproduces_sdk_bytes(name, case) -> None:
    """Encode request reproduces sdk bytes."""
    request_id, method, params, timestamp = json.loads(case["signed_bytes_utf8"])
    req_text = encode_request(request_id, method, params, timestamp)
    assert req_text == case["signed_bytes_utf8"]
    assert (
        "0x" + keccak256(req_text.encode()).hex() == case["keccak256_of_signed_bytes"]
    )


@pytest.mark.parametrize(("name", "case"), EMITTED, ids=EMITTED_IDS)
def test_frame_request_reproduces_sdk_message(name, case) -> None:
    """Frame request reproduces sdk message."""
    signatures = [s["signature"] for s in case["signatures"]]
    assert frame_request(case["signed_bytes_utf8"], signatures) == case["message"]


@pytest.mark.parametrize(("name", "case"), EMITTED, ids=EMITTED_IDS)
def test_extract_raw_returns_signed_req_bytes(name, case) -> None:
    """Extract raw returns signed req bytes."""
    assert extract_raw(case["message"], "req") == case["signed_bytes_utf8"]


def test_extract_raw_keeps_whitespace_and_key_order() -> None:
    """Extract raw keeps whitespace and key order."""
    frame = '{ "sig" : [] ,\n "req" : [1, "ping", {}, 2] }'
    assert extract_raw(frame, "req") == '[1, "ping", {}, 2]'


def test_synthetic_server_response_round_trips() -> None:
    """Synthetic server response round trips."""
    case = vectors()["synthetic_server_response"]
    request_id, method, result, timestamp = json.loads(case["res_bytes_utf8"])
    res_text = encode_response(request_id, method, result, timestamp)
    assert res_text == case["res_bytes_utf8"]
    assert (
        frame_response(res_text, json.loads(case["message"])["sig"]) == case["message"]
    )
    assert "0x" + keccak256(res_text.encode()).hex() == case["keccak256"]


def test_decode_frame_classifies_response_push_and_error() -> None:
    """Decode frame classifies response push and error."""
    case = vectors()["synthetic_server_response"]
    response = decode_frame(case["message"])
    assert response.kind is FrameKind.RESPONSE
    assert response.request_id == 10
    assert response.method == "create_app_session"
    assert response.signed_text == case["res_bytes_utf8"]
    push = decode_frame('{"res":[0,"bu",{"balance_updates":[]},5],"sig":[]}')
    assert push.kind is FrameKind.PUSH
    error = decode_frame('{"res":[7,"error",{"error":"boom"},5],"sig":["0xab"]}')
    assert error.kind is FrameKind.ERROR
    assert error.error_reason == "boom"
    assert error.signatures == ("0xab",)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1,2,3]",
        "{}",
        '{"req":[1,"ping",{},2]}',
        '{"res":[1,"ping",{}],"sig":[]}',
        '{"res":[-1,"ping",{},1],"sig":[]}',
        '{"res":[1,2,{},1],"sig":[]}',
        '{"res":[true,"ping",{},1],"sig":[]}',
        '{"res":[1,"ping",{},1],"sig":["nothex"]}',
        '{"res":[1,"ping",{},1],"sig":"0x00"}',
        '{"res":[1,"ping",{},1],"res":[2,"ping",{},1]}',
        '{"res":[1,"ping",{},1]} trailing',
        '{"res":[1,"ping",{},1],}',
    ],
)
def test_decode_frame_refuses_malformed_frames(text) -> None:
    """Decode frame refuses malformed frames."""
    with pytest.raises(ClearNodeProtocolError):
        decode_frame(text)


def nested(depth: int) -> str:
    """Return a JSON array nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


SIGNATURE = "0x" + "11" * 65
HOSTILE_FRAMES = {
    "more signatures than the bound": json.dumps(
        {
            "res": [0, "bu", {}, 1],
            "sig": [SIGNATURE] * (MAX_FRAME_SIGNATURES + 1),
        }
    ),
    "nested deeper than the bound": (
        '{"res":[0,"bu",' + nested(MAX_NESTING) + ',1],"sig":[]}'
    ),
    "nested deeper than Python's recursion limit": (
        '{"res":[0,"bu",' + nested(100_000) + ',1],"sig":[]}'
    ),
    "an integer of 5000 digits": '{"res":[' + "9" * 5000 + ',"bu",{},1],"sig":[]}',
}


@pytest.mark.parametrize("text", HOSTILE_FRAMES.values(), ids=HOSTILE_FRAMES.keys())
def test_decode_frame_refuses_hostile_frames_as_protocol_errors(text) -> None:
    """Whatever makes a frame expensive or unparseable is a protocol error, no other."""
    with pytest.raises(ClearNodeProtocolError, match="malformed frame"):
        decode_frame(text)


def test_decode_frame_accepts_the_bounds_themselves() -> None:
    """A frame at the signature and nesting bounds is still decoded."""
    frame = decode_frame(
        json.dumps(
            {
                "res": [0, "bu", json.loads(nested(MAX_NESTING - 1)), 1],
                "sig": [SIGNATURE] * MAX_FRAME_SIGNATURES,
            }
        )
    )
    assert len(frame.signatures) == MAX_FRAME_SIGNATURES


def test_error_reasons_are_cut_to_a_bounded_length() -> None:
    """A server error text of a megabyte reaches nobody whole."""
    text = "x" * 1_000_000
    error = decode_frame(json.dumps({"res": [7, "error", {"error": text}, 5]}))
    assert error.error_reason == text[:MAX_REASON_CHARS]


def test_split_frame_refuses_duplicate_keys() -> None:
    """Split frame refuses duplicate keys."""
    with pytest.raises(ClearNodeProtocolError, match="duplicate"):
        split_frame('{"res":[1],"res":[2]}')


def test_go_json_escapes_like_go() -> None:
    """Go json escapes like go."""
    value = {"a": '<b>&\u2028é\n\x01\x08"\\', "n": None, "t": True, "l": [1, "x"]}
    assert go_json(value) == (
        '{"a":"\\u003cb\\u003e\\u0026\\u2028é\\n\\u0001\\u0008\\"\\\\",'
        '"n":null,"t":true,"l":[1,"x"]}'
    )


def test_go_json_writes_decimals_as_strings_and_refuses_floats() -> None:
    """Go json writes decimals as strings and refuses floats."""
    assert go_json([Decimal("1.50"), Decimal("1E+6")]) == '["1.5","1000000"]'
    with pytest.raises(TypeError):
        go_json(1.5)


def test_compact_json_keeps_unicode_raw_and_no_html_escaping() -> None:
    """Compact json keeps unicode raw and no html escaping."""
    assert compact_json({"a": "<é>"}) == '{"a":"<é>"}'


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal(0), "0"),
        (Decimal("-0.00"), "0"),
        (Decimal(1000000), "1000000"),
        (Decimal("1E+6"), "1000000"),
        (Decimal("0.50"), "0.5"),
        (Decimal("0.000001"), "0.000001"),
        (
            Decimal("12345678901234567890.123456789012345"),
            "12345678901234567890.123456789012345",
        ),
    ],
)
def test_format_amount_writes_plain_decimal_strings(amount, text) -> None:
    """Amounts are written as plain decimal strings, exactly, at any precision."""
    assert format_amount(amount) == text


def test_app_session_id_matches_vector_from_mapping_and_dataclass() -> None:
    """App session id matches vector from mapping and dataclass."""
    derived = vectors()["derived"]
    definition = json.loads(derived["app_session_id_preimage"])
    assert app_session_id(definition) == derived["app_session_id"]
    typed = AppDefinition(
        application=definition["application"],
        protocol=definition["protocol"],
        participants=tuple(definition["participants"]),
        weights=tuple(definition["weights"]),
        quorum=definition["quorum"],
        challenge=definition["challenge"],
        nonce=definition["nonce"],
    )
    assert app_session_id(typed) == derived["app_session_id"]


def test_app_session_id_of_other_protocol_matches_vector() -> None:
    """App session id of other protocol matches vector."""
    derived = vectors()["derived"]
    definition = json.loads(derived["app_session_id_preimage"])
    definition["protocol"] = "nitroliterpc"
    assert (
        app_session_id(definition) == derived["app_session_id_for_nitroliterpc_variant"]
    )


def test_app_session_id_fills_missing_fields_like_go() -> None:
    """App session id fills missing fields like go."""
    definition = {"protocol": "NitroRPC/0.4", "nonce": 5}
    expected = (
        '{"application":"","protocol":"NitroRPC/0.4","participants":null,'
        '"weights":null,"quorum":0,"challenge":0,"nonce":5}'
    )
    assert app_session_id(definition) == "0x" + keccak256(expected.encode()).hex()
