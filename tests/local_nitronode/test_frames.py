"""Frames and payloads are decoded as the Go node decodes them, with its error texts."""

import json

import aiohttp
import pytest

from local_nitronode import LocalNitronode
from tests.clearnode.v1.vectors import address

from .conftest import Connect
from .peer import ERROR, Peer

INVALID = "invalid message format"
TS = 1764201600000


@pytest.mark.parametrize(
    ("text", "request_id"),
    [
        ("not json", 0),
        ('{"req":[1,"node.v1.ping",{},1764201600000],"sig":[]}', 0),
        ('[1,7,"node.v1.ping",{}]', 0),
        ('[1,7,"node.v1.ping",{},1,2]', 0),
        ('[300,7,"node.v1.ping",{},1]', 0),
        ('[1,"7","node.v1.ping",{},1]', 0),
        ('[1,-7,"node.v1.ping",{},1]', 0),
        ('[1,7.0,"node.v1.ping",{},1]', 0),
        ('[1,18446744073709551616,"node.v1.ping",{},1]', 0),
        ("[1,7,5,{},1]", 7),
        ('[1,7,"node.v1.ping",[],1]', 7),
        ('[1,7,"node.v1.ping","x",1]', 7),
        ('[1,7,"node.v1.ping",{},1.5]', 7),
        ('[1,7,"node.v1.ping",{},-1]', 7),
        ('[1,7,"node.v1.ping",{},NaN]', 0),
        ("[" * 65536 + "]" * 65536, 0),
    ],
)
async def test_undecodable_frames_name_the_id_read_so_far(
    peer: Peer, text: str, request_id: int
) -> None:
    """An undecodable frame gets ``invalid message format`` and no method.

    The id is the one parsed before the failure (0 when the id itself is bad).
    """
    answer = await peer.raw(text)
    assert (answer.kind, answer.request_id, answer.method, answer.error) == (
        ERROR,
        request_id,
        "",
        INVALID,
    )


async def test_the_socket_survives_undecodable_frames(peer: Peer) -> None:
    """After a bad frame the connection keeps serving requests."""
    await peer.raw("garbage")
    assert await peer.call("node.v1.ping") == {}


@pytest.mark.parametrize("method", ["ping", "get_config", "apps.v1.get_apps", ""])
async def test_unknown_methods_are_named(peer: Peer, method: str) -> None:
    """Methods v1.4.1 does not register (v0.5 names, removed ones) are refused by name."""
    assert await peer.error(method) == f"unknown method: {method}"


async def test_type_and_null_payload_are_not_checked(peer: Peer) -> None:
    """Element 0 is parsed but not checked; a null payload is an empty struct."""
    answer = await peer.raw(f'[9,3,"node.v1.ping",null,{TS}]')
    assert (answer.kind, answer.request_id, answer.payload) == (2, 3, {})


@pytest.mark.parametrize(
    ("payload", "accepted"),
    [
        ({"wallet": address("user")}, True),
        ({"WALLET": address("user")}, True),
        ({"wallet": address("user"), "unknown": [1, {"x": None}]}, True),
        ({"wallet": 5}, False),
        ({"wallet": [address("user")]}, False),
        ({"wallet": None}, None),
    ],
)
async def test_payload_fields_are_go_typed(
    peer: Peer, payload: dict[str, object], accepted: bool | None
) -> None:
    """Payload fields decode like Go struct fields.

    Keys match case-insensitively, unknown keys are ignored, a wrong JSON type fails
    the whole request, and null is the zero value.
    """
    answer = await peer.request("user.v1.get_balances", payload)
    if accepted:
        assert answer.result == {"balances": []}
    elif accepted is False:
        assert answer.error == "failed to parse parameters"
    else:
        assert answer.error == (
            "invalid wallet: invalid hex address: incorrect length, "
            "expected 42 characters including 0x prefix"
        )


@pytest.mark.parametrize(
    ("limit", "accepted"),
    [(5, True), (5.0, True), (5.5, False), (-1, False), ("5", False)],
)
async def test_numbers_pass_through_a_float64(
    peer: Peer, limit: object, accepted: bool
) -> None:
    """Numbers reach their field through a float64, as Payload.Translate does.

    An integral float fits a uint32; a fraction, a sign or a string does not.
    """
    answer = await peer.request(
        "user.v1.get_transactions",
        {"wallet": address("user"), "pagination": {"limit": limit}},
    )
    if accepted:
        assert answer.result["metadata"]["per_page"] == 5
    else:
        assert answer.error == "failed to parse parameters"


WALLET = address("user")


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        ("user.v1.get_transactions", {"wallet": WALLET, "pagination": {"limit": -0.0}}),
        ("user.v1.get_transactions", {"wallet": WALLET, "tx_type": "30"}),
        ("user.v1.get_transactions", {"wallet": WALLET, "pagination": []}),
        (
            "channels.v1.get_latest_state",
            {"wallet": WALLET, "asset": "yusd", "only_signed": "yes"},
        ),
        ("app_sessions.v1.create_app_session", {"quorum_sigs": "0x"}),
        ("app_sessions.v1.create_app_session", {"quorum_sigs": [1]}),
        ("app_sessions.v1.create_app_session", {"definition": {"participants": "x"}}),
        ("app_sessions.v1.create_app_session", {"definition": []}),
    ],
)
async def test_type_mismatches_fail_the_whole_request(
    peer: Peer, method: str, payload: dict[str, object]
) -> None:
    """A negative zero, a string for a number, a list for a struct: all fail to parse."""
    assert await peer.error(method, payload) == "failed to parse parameters"


async def test_null_fields_take_their_zero_value(peer: Peer) -> None:
    """Null optional fields are absent; a null list is empty; a null struct is zero."""
    listing = await peer.call(
        "user.v1.get_transactions",
        {"wallet": WALLET, "tx_type": None, "pagination": {"limit": None}},
    )
    assert listing["metadata"]["per_page"] == 10
    error = await peer.error(
        "app_sessions.v1.create_app_session",
        {"definition": {"participants": None}, "quorum_sigs": None},
    )
    assert error == "application id is required"


async def test_channel_reads_have_their_own_parse_fallback(peer: Peer) -> None:
    """get_home_channel and get_channels say ``failed to parse request``."""
    for method in ("channels.v1.get_home_channel", "channels.v1.get_channels"):
        assert await peer.error(method, {"wallet": 5}) == "failed to parse request"


async def test_both_paths_serve_and_app_id_is_checked(
    node: LocalNitronode, http: aiohttp.ClientSession
) -> None:
    """``/ws`` and ``/v1/ws`` both serve; a malformed ``app_id`` is refused with 400."""
    base = node.url.removesuffix("/v1/ws")
    for url in (f"{base}/ws", f"{base}/v1/ws?app_id=home-assistant"):
        async with http.ws_connect(url) as ws:
            await ws.send_str(f'[1,1,"node.v1.ping",{{}},{TS}]')
            assert json.loads(await ws.receive_str(timeout=10))[:3] == [
                2,
                1,
                "node.v1.ping",
            ]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{base}/v1/ws?app_id=Home Assistant")
    assert refused.value.status == 400


async def test_answers_come_back_in_request_order(
    node: LocalNitronode, connect: Connect
) -> None:
    """Pipelined requests are handled one at a time, answered in arrival order."""
    peer = await connect()
    node.faults.delay = 0.01
    texts = [peer.frame("node.v1.ping", {}) for _ in range(5)]
    for text in texts:
        await peer.send_text(text)
    ids = [(await peer.receive()).request_id for _ in texts]
    assert ids == [json.loads(text)[1] for text in texts]
