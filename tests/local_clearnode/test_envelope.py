"""The G2 envelope as the v0.5 server accepts and answers it."""

import json

from custom_components.nitrolite.clearnode import signing
from custom_components.nitrolite.clearnode.v05 import extract_raw

from .conftest import Connect
from .peer import Peer, now_ms


async def test_ping_answers_pong_with_null_signed_by_the_broker(peer: Peer) -> None:
    """Ping answers pong with null signed by the broker."""
    answer = await peer.request("ping", {})

    assert (answer.method, answer.result) == ("pong", None)
    assert answer.broker_signed


async def test_every_connection_starts_with_a_signed_assets_push(
    connect: Connect,
) -> None:
    """Every connection starts with a signed assets push."""
    peer = await connect()
    config = await peer.request("get_config", {})
    assets = await peer.request("get_assets", {"chain_id": 1337})

    assert config.result["broker_address"] == peer.verifier.address
    assert [a["symbol"] for a in assets.result["assets"]] == ["usdc", "ytest.usd"]
    assert all(a["decimals"] == 6 for a in assets.result["assets"])


async def test_g1_array_params_fail_to_parse(peer: Peer) -> None:
    """G1 array params fail to parse."""
    answer = await peer.request("get_assets", [{"chain_id": 1337}])

    assert answer.error == "failed to parse parameters"


async def test_g1_array_params_at_login_fail_to_parse_auth_parameters(
    peer: Peer,
) -> None:
    """G1 array params at login fail to parse auth parameters."""
    answer = await peer.request(
        "auth_request", ["0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"]
    )

    assert answer.error == "failed to parse auth parameters"


async def test_g3_array_frame_is_an_invalid_message_with_a_synthetic_id(
    peer: Peer,
) -> None:
    """G3 array frame is an invalid message with a synthetic id."""
    before = now_ms()
    await peer.send_text(json.dumps([1, 1, "ping", {}, now_ms()]))
    answer = await peer.next_answer()

    assert answer.error == "invalid message format"
    assert answer.request_id >= before
    assert answer.broker_signed


async def test_a_signature_that_is_not_hex_breaks_the_whole_frame(peer: Peer) -> None:
    """A signature that is not hex breaks the whole frame."""
    await peer.send_text(
        json.dumps({"req": [7, "ping", {}, now_ms()], "sig": ["0xnothex"]})
    )
    answer = await peer.next_answer()

    assert answer.error == "invalid message format"
    assert answer.request_id != 7


async def test_unparseable_json_is_an_invalid_message(peer: Peer) -> None:
    """Unparseable json is an invalid message."""
    await peer.send_text('{"req": [1, "ping", {}, ')

    assert (await peer.next_answer()).error == "invalid message format"


async def test_zero_request_id_fails_validation(peer: Peer) -> None:
    """Zero request id fails validation."""
    await peer.send_text(json.dumps({"req": [0, "ping", {}, now_ms()], "sig": []}))

    assert (await peer.next_answer()).error == "message validation failed"


async def test_unknown_methods_are_named_in_the_error(peer: Peer) -> None:
    """Unknown methods are named in the error."""
    answer = await peer.request("message", {})

    assert answer.error == "unknown method: message"


async def test_channel_methods_say_channels_are_not_supported(
    logged_in: Peer, session_key: signing.Signer
) -> None:
    """Channel methods say channels are not supported."""
    answer = await logged_in.request(
        "create_channel", {"chain_id": 1337, "token": "0x00"}, [session_key]
    )
    listing = await logged_in.request("get_channels", {})

    assert "not supported" in (answer.error or "")
    assert listing.result == {"channels": []}


async def test_whitespace_inside_req_is_part_of_the_signed_bytes(
    peer: Peer, wallet: signing.Signer, session_key: signing.Signer
) -> None:
    """Whitespace inside req is part of the signed bytes."""
    await peer.login(wallet, session_key)
    req = '[ 5 , "get_ledger_balances" , { } , ' + str(now_ms()) + " ]"
    signature = session_key.sign_message(req)
    await peer.send_text('{"sig":["' + signature + '"], "req": ' + req + "}")
    answer = await peer.next_answer()

    assert answer.method == "get_ledger_balances"
    assert {"asset": "usdc", "amount": "100"} in answer.result["ledger_balances"]


async def test_responses_are_written_with_go_html_escaping(
    logged_in: Peer, wallet: signing.Signer, counterparty: signing.Signer
) -> None:
    """Responses are written with go html escaping."""
    definition = {
        "application": "a<b>&c",
        "protocol": "NitroRPC/0.4",
        "participants": [wallet.address, counterparty.address],
        "weights": [1, 1],
        "quorum": 1,
        "challenge": 0,
        "nonce": now_ms(),
    }
    created = await logged_in.request(
        "create_app_session", {"definition": definition, "allocations": []}
    )
    _, text = logged_in.frame("get_app_sessions", {"participant": wallet.address})
    await logged_in.send_text(text)
    raw_answer = await logged_in.ws.receive_str(timeout=10)

    assert created.method == "create_app_session", created
    assert '"application":"a\\u003cb\\u003e\\u0026c"' in raw_answer
    assert logged_in.verifier.verify(
        extract_raw(raw_answer, "res"), json.loads(raw_answer)["sig"]
    )


async def test_frames_over_64_kib_close_the_socket(peer: Peer) -> None:
    """Frames over 64 KiB close the socket."""
    await peer.send_text(
        json.dumps({"req": [1, "ping", {"pad": "x" * 70_000}, now_ms()], "sig": []})
    )
    message = await peer.ws.receive(timeout=10)

    assert message.type.name in {"CLOSE", "CLOSING", "CLOSED"}
